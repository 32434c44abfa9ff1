// Types the reader tests compile into this test assembly and read back with DependencyGraphReader (root namespace
// "ArchFixture"): each ArchFixture.Training.Via* type reaches ArchFixture.Data or ArchFixture.Methods through the one
// construct its name says (plus, at most, member references on that same type).
#pragma warning disable CS0067, CS0169, CS0414, CS0649, CS1998

namespace ArchFixture.Data
{
    public class BaseThing { }
    public interface IThing { }
    public sealed class Batch { }
    public struct Pixel { public int Value; }
    public enum Kind { A, B }
    public sealed class FixtureException : Exception { }
    public sealed class Generic<T> { }

    [AttributeUsage(AttributeTargets.All, AllowMultiple = true)]
    public sealed class MarkerAttribute(Type? type) : Attribute
    {
        public Type? Type { get; } = type;
        public object? Other { get; set; }
    }

    public static class Helpers
    {
        public static int Field;
        public static void Call() { }
    }
}

namespace ArchFixture.Methods
{
    public sealed class MocoV3
    {
        public static int Count;
        public static MocoV3 Create() => new();
    }
}

namespace ArchFixture.Training
{
    public class Clean { public int M() => 1; }
    public class ViaBase : ArchFixture.Data.BaseThing { }
    public class ViaInterface : ArchFixture.Data.IThing { }
    public class ViaGenericFieldArray { public List<ArchFixture.Data.Batch[]>? F; }
    public class ViaProperty { public Dictionary<string, ArchFixture.Data.Pixel> P { get; set; } = []; }
    public class ViaByRefParameter { public void M(ref ArchFixture.Data.Pixel p) { } }
    public class ViaReturnType { public ArchFixture.Data.Kind M() => default; }
    public class ViaTypeConstraint<T> where T : ArchFixture.Data.IThing { }
    public class ViaMethodConstraint { public void M<T>() where T : ArchFixture.Data.BaseThing { } }
    public class ViaEvent { public event Action<ArchFixture.Data.Batch>? E; }
    [ArchFixture.Data.Marker(null)] public class ViaAttributeType { }
    [ArchFixture.Data.Marker(typeof(ArchFixture.Methods.MocoV3))] public class ViaAttributeTypeof { }
    [ArchFixture.Data.Marker(null, Other = typeof(ArchFixture.Methods.MocoV3[]))] public class ViaAttributeNamedArg { }
    public class ViaLocal { public int M() { ArchFixture.Data.Pixel p = default; p.Value = 2; return p.Value * 3; } }
    public class ViaStaticField { public int M() => ArchFixture.Data.Helpers.Field; }
    public class ViaStaticCall { public void M() => ArchFixture.Data.Helpers.Call(); }
    public class ViaGenericMethodArgument { public object M() => Array.Empty<ArchFixture.Methods.MocoV3>(); }
    public class ViaLdtoken { public Type M() => typeof(ArchFixture.Methods.MocoV3); }
    public class ViaIsinst { public bool M(object o) => o is ArchFixture.Methods.MocoV3; }
    public class ViaLambda { public Func<int> M() => () => ArchFixture.Methods.MocoV3.Count; }
    public class ViaClosure { public Func<int> M(int k) => () => k + ArchFixture.Methods.MocoV3.Count; }
    public class ViaLocalFunction { public object M() { return Make(); static object Make() => ArchFixture.Methods.MocoV3.Create(); } }
    public class ViaCatch { public void M() { try { M(); } catch (ArchFixture.Data.FixtureException) { } } }
    public record ViaRecord(ArchFixture.Data.Batch B);
    public class ViaNested { public class Inner { public ArchFixture.Data.Batch? B; } }
    public class ViaGenericArgumentOfExternal { public Task<ArchFixture.Data.Generic<ArchFixture.Methods.MocoV3>>? T; }
    public class ViaOtherAssembly { public global::Pretrain.Config.RunConfig? C; }

    public class ViaAsyncString
    {
        public async Task<string> M()
        {
            await Task.Yield();
            return "dino";
        }
    }

    public class ViaIterator
    {
        public IEnumerable<object> M()
        {
            yield return ArchFixture.Methods.MocoV3.Create();
        }
    }
}
