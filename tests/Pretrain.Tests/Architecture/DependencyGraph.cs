namespace Pretrain.Tests.Architecture;

/// <summary>A reference from one of our types to another of our types (both outermost declaring types).</summary>
public readonly record struct TypeDependency(string From, string To)
{
    public override string ToString() => $"{From} -> {To}";
}

/// <summary>A reference from one of our types to a type of another assembly (or module).</summary>
public readonly record struct ExternalDependency(string From, string Assembly, string To)
{
    public override string ToString() => $"{From} -> [{Assembly}]{To}";
}

/// <summary>An <c>ldstr</c> in a method body. <see cref="Type"/> is the outermost type that owns the method.</summary>
public readonly record struct StringLiteral(string Type, string Method, string Value);

/// <summary>
/// Type-level dependencies of one assembly, with the folder (namespace segment after the root) of each type.
/// Pure data: built from a compiled assembly by <see cref="DependencyGraphReader"/>, or by hand in tests.
/// Type names are Cecil full names; a nested name ("Outer/Inner") is folded onto its outermost type.
/// </summary>
public sealed class DependencyGraph
{
    /// <summary>Folder name given to types declared directly in the root namespace (e.g. <c>Pretrain.Foo</c>).</summary>
    public const string RootFolder = "<root>";

    private readonly SortedSet<string> _types = new(StringComparer.Ordinal);
    private readonly HashSet<TypeDependency> _dependencies = [];
    private readonly HashSet<ExternalDependency> _external = [];
    private readonly List<StringLiteral> _strings = [];
    private readonly SortedSet<string> _assemblyReferences = new(StringComparer.Ordinal);
    private SortedDictionary<(string From, string To), List<TypeDependency>>? _folderEdges;

    public DependencyGraph(string assemblyName, string rootNamespace = "Pretrain")
    {
        AssemblyName = assemblyName;
        RootNamespace = rootNamespace;
    }

    public string AssemblyName { get; }
    public string RootNamespace { get; }
    public IReadOnlyCollection<string> Types => _types;
    public IReadOnlyCollection<TypeDependency> Dependencies => _dependencies;
    public IReadOnlyCollection<ExternalDependency> ExternalDependencies => _external;
    public IReadOnlyList<StringLiteral> Strings => _strings;
    public IReadOnlyCollection<string> AssemblyReferences => _assemblyReferences;

    public bool IsOurNamespace(string ns) =>
        ns == RootNamespace || ns.StartsWith(RootNamespace + ".", StringComparison.Ordinal);

    /// <summary>Folder of a type full name, or null when the type is outside the root namespace.</summary>
    public string? FolderOf(string typeFullName)
    {
        var name = Outermost(typeFullName);
        var prefix = RootNamespace + ".";
        if (!name.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var rest = name[prefix.Length..];
        var dot = rest.IndexOf('.');
        return dot < 0 ? RootFolder : rest[..dot];
    }

    public IEnumerable<string> Folders => _types.Select(t => FolderOf(t)!).Distinct().Order(StringComparer.Ordinal);

    /// <summary>Folder → folder edges (different folders only), each with every type pair behind it, sorted.</summary>
    public IReadOnlyDictionary<(string From, string To), List<TypeDependency>> FolderEdges
    {
        get
        {
            if (_folderEdges is not null) return _folderEdges;
            var edges = new SortedDictionary<(string, string), List<TypeDependency>>(
                Comparer<(string, string)>.Create((a, b) =>
                {
                    var c = string.CompareOrdinal(a.Item1, b.Item1);
                    return c != 0 ? c : string.CompareOrdinal(a.Item2, b.Item2);
                }));
            foreach (var d in _dependencies.OrderBy(d => d.From, StringComparer.Ordinal).ThenBy(d => d.To, StringComparer.Ordinal))
            {
                var from = FolderOf(d.From)!;
                var to = FolderOf(d.To)!;
                if (from == to) continue;
                if (!edges.TryGetValue((from, to), out var list)) edges[(from, to)] = list = [];
                list.Add(d);
            }
            return _folderEdges = edges;
        }
    }

    public DependencyGraph AddType(string typeFullName)
    {
        _types.Add(Ours(typeFullName));
        _folderEdges = null;
        return this;
    }

    /// <summary>Records that <paramref name="from"/> uses <paramref name="to"/> (both ours). Self references are dropped.</summary>
    public DependencyGraph AddDependency(string from, string to)
    {
        from = Ours(from);
        to = Ours(to);
        _types.Add(from);
        _types.Add(to);
        if (from != to) _dependencies.Add(new TypeDependency(from, to));
        _folderEdges = null;
        return this;
    }

    public DependencyGraph AddExternalDependency(string from, string assembly, string to)
    {
        from = Ours(from);
        _types.Add(from);
        _external.Add(new ExternalDependency(from, assembly, Outermost(to)));
        return this;
    }

    public DependencyGraph AddString(string type, string method, string value)
    {
        type = Ours(type);
        _types.Add(type);
        _strings.Add(new StringLiteral(type, method, value));
        return this;
    }

    public DependencyGraph AddAssemblyReference(string name)
    {
        _assemblyReferences.Add(name);
        return this;
    }

    private static string Outermost(string typeFullName)
    {
        var slash = typeFullName.IndexOf('/');
        return slash < 0 ? typeFullName : typeFullName[..slash];
    }

    private string Ours(string typeFullName)
    {
        var name = Outermost(typeFullName);
        if (FolderOf(name) is null)
            throw new ArgumentException($"{typeFullName} is not in namespace {RootNamespace}.*", nameof(typeFullName));
        return name;
    }
}
