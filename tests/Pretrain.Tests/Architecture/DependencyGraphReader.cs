using Mono.Cecil.Cil;
using Mono.Cecil;

namespace Pretrain.Tests.Architecture;

/// <summary>
/// Builds a <see cref="DependencyGraph"/> from a compiled assembly with Mono.Cecil. Every type that appears in a
/// type counts: base type, interfaces, generic parameters and constraints, fields, properties, events, method
/// signatures and overrides, custom attributes (type, constructor, typeof arguments), locals, catch types and the
/// operand of every IL instruction. Nested and compiler-generated types (closures, lambdas, state machines) are
/// folded onto their outermost declaring type. External assemblies are never resolved: a reference is classified by
/// its scope (this module or an assembly name) and its namespace/name.
/// </summary>
public static class DependencyGraphReader
{
    public static DependencyGraph Read(string assemblyPath, string rootNamespace = "Pretrain")
    {
        using var resolver = new NoAssemblyResolver();
        using var module = ModuleDefinition.ReadModule(assemblyPath,
            new ReaderParameters { ReadSymbols = false, AssemblyResolver = resolver });
        var graph = new DependencyGraph(module.Assembly.Name.Name, rootNamespace);
        foreach (var reference in module.AssemblyReferences) graph.AddAssemblyReference(reference.Name);
        foreach (var type in module.Types)
        {
            if (!graph.IsOurNamespace(type.Namespace)) continue;
            graph.AddType(type.FullName);
            new Walker(module, graph, type.FullName).TypeDefinition(type);
        }
        return graph;
    }

    private sealed class Walker(ModuleDefinition module, DependencyGraph graph, string owner)
    {
        private readonly string _assemblyName = module.Assembly.Name.Name;

        public void TypeDefinition(TypeDefinition type)
        {
            Attributes(type);
            Type(type.BaseType);
            foreach (var iface in type.Interfaces)
            {
                Type(iface.InterfaceType);
                Attributes(iface);
            }
            GenericParameters(type);
            foreach (var field in type.Fields)
            {
                Attributes(field);
                Type(field.FieldType);
            }
            foreach (var property in type.Properties)
            {
                Attributes(property);
                Type(property.PropertyType);
                foreach (var p in property.Parameters)
                {
                    Attributes(p);
                    Type(p.ParameterType);
                }
            }
            foreach (var ev in type.Events)
            {
                Attributes(ev);
                Type(ev.EventType);
            }
            foreach (var method in type.Methods) Method(method);
            foreach (var nested in type.NestedTypes) TypeDefinition(nested);
        }

        private void Method(MethodDefinition method)
        {
            Attributes(method);
            Attributes(method.MethodReturnType);
            Type(method.ReturnType);
            foreach (var p in method.Parameters)
            {
                Attributes(p);
                Type(p.ParameterType);
            }
            GenericParameters(method);
            foreach (var o in method.Overrides) MethodReference(o);
            if (!method.HasBody) return;

            var body = method.Body;
            foreach (var v in body.Variables) Type(v.VariableType);
            foreach (var h in body.ExceptionHandlers) Type(h.CatchType);
            foreach (var instruction in body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t: Type(t); break;
                    case MethodReference m: MethodReference(m); break;
                    case FieldReference f: FieldReference(f); break;
                    case CallSite c:
                        Type(c.ReturnType);
                        foreach (var p in c.Parameters) Type(p.ParameterType);
                        break;
                    case string s when instruction.OpCode.Code == Code.Ldstr:
                        graph.AddString(owner, $"{method.DeclaringType.FullName}::{method.Name}", s);
                        break;
                }
            }
        }

        private void GenericParameters(IGenericParameterProvider provider)
        {
            if (!provider.HasGenericParameters) return;
            foreach (var gp in provider.GenericParameters)
            {
                Attributes(gp);
                foreach (var c in gp.Constraints)
                {
                    Attributes(c);
                    Type(c.ConstraintType);
                }
            }
        }

        private void MethodReference(MethodReference method)
        {
            Type(method.DeclaringType);
            if (method is GenericInstanceMethod gim)
            {
                foreach (var a in gim.GenericArguments) Type(a);
                method = gim.ElementMethod;
            }
            Type(method.ReturnType);
            foreach (var p in method.Parameters) Type(p.ParameterType);
        }

        private void FieldReference(FieldReference field)
        {
            Type(field.DeclaringType);
            Type(field.FieldType);
        }

        private void Attributes(ICustomAttributeProvider provider)
        {
            if (!provider.HasCustomAttributes) return;
            foreach (var a in provider.CustomAttributes)
            {
                Type(a.AttributeType);
                MethodReference(a.Constructor);
                try
                {
                    foreach (var arg in a.ConstructorArguments) Argument(arg);
                    foreach (var named in a.Fields) Argument(named.Argument);
                    foreach (var named in a.Properties) Argument(named.Argument);
                }
                catch (Exception e) when (e is AssemblyResolutionException or ResolutionException)
                {
                    // The blob holds an enum of another assembly, which Cecil can only decode by resolving that
                    // assembly. Attribute type and constructor signature are already counted.
                }
            }
        }

        private void Argument(CustomAttributeArgument arg)
        {
            Type(arg.Type);
            switch (arg.Value)
            {
                case TypeReference t: Type(t); break; // typeof(X)
                case CustomAttributeArgument boxed: Argument(boxed); break; // object-typed parameter
                case CustomAttributeArgument[] array:
                    foreach (var element in array) Argument(element);
                    break;
            }
        }

        private void Type(TypeReference? type)
        {
            switch (type)
            {
                case null:
                case GenericParameter:
                    return;
                case GenericInstanceType git:
                    Type(git.ElementType);
                    foreach (var a in git.GenericArguments) Type(a);
                    return;
                case FunctionPointerType fp:
                    Type(fp.ReturnType);
                    foreach (var p in fp.Parameters) Type(p.ParameterType);
                    return;
                case IModifierType mod:
                    Type(mod.ModifierType);
                    Type(mod.ElementType);
                    return;
                case TypeSpecification spec: // array, by-ref, pointer, pinned, sentinel
                    Type(spec.ElementType);
                    return;
            }

            var outer = type;
            while (outer.DeclaringType is not null) outer = outer.DeclaringType;
            switch (outer.Scope)
            {
                case ModuleDefinition:
                case AssemblyNameReference a when a.Name == _assemblyName:
                    if (graph.IsOurNamespace(outer.Namespace)) graph.AddDependency(owner, outer.FullName);
                    break;
                case AssemblyNameReference a:
                    graph.AddExternalDependency(owner, a.Name, outer.FullName);
                    break;
                case ModuleReference m:
                    graph.AddExternalDependency(owner, m.Name, outer.FullName);
                    break;
            }
        }
    }

    /// <summary>Refuses every resolution, so reading never depends on where other assemblies live.</summary>
    private sealed class NoAssemblyResolver : IAssemblyResolver
    {
        public AssemblyDefinition Resolve(AssemblyNameReference name) => throw new AssemblyResolutionException(name);
        public AssemblyDefinition Resolve(AssemblyNameReference name, ReaderParameters parameters) =>
            throw new AssemblyResolutionException(name);
        public void Dispose() { }
    }
}
