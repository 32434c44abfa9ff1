using Xunit;

namespace Pretrain.Tests.Architecture;

/// <summary>The Cecil reader on the ArchFixture.* types compiled into this test assembly (see ReaderFixtures.cs).</summary>
public class DependencyGraphReaderTests
{
    private static readonly Lazy<DependencyGraph> Fixture =
        new(() => DependencyGraphReader.Read(typeof(ArchFixture.Training.Clean).Assembly.Location, "ArchFixture"));

    private const string Data = "ArchFixture.Data.";
    private const string Methods = "ArchFixture.Methods.";

    [Theory]
    [InlineData("ViaBase", Data + "BaseThing")]
    [InlineData("ViaInterface", Data + "IThing")]
    [InlineData("ViaGenericFieldArray", Data + "Batch")]
    [InlineData("ViaProperty", Data + "Pixel")]
    [InlineData("ViaByRefParameter", Data + "Pixel")]
    [InlineData("ViaReturnType", Data + "Kind")]
    [InlineData("ViaTypeConstraint`1", Data + "IThing")]
    [InlineData("ViaMethodConstraint", Data + "BaseThing")]
    [InlineData("ViaEvent", Data + "Batch")]
    [InlineData("ViaAttributeType", Data + "MarkerAttribute")]
    [InlineData("ViaAttributeTypeof", Methods + "MocoV3")]
    [InlineData("ViaAttributeNamedArg", Methods + "MocoV3")]
    [InlineData("ViaLocal", Data + "Pixel")]
    [InlineData("ViaStaticField", Data + "Helpers")]
    [InlineData("ViaStaticCall", Data + "Helpers")]
    [InlineData("ViaGenericMethodArgument", Methods + "MocoV3")]
    [InlineData("ViaLdtoken", Methods + "MocoV3")]
    [InlineData("ViaIsinst", Methods + "MocoV3")]
    [InlineData("ViaLambda", Methods + "MocoV3")]
    [InlineData("ViaClosure", Methods + "MocoV3")]
    [InlineData("ViaLocalFunction", Methods + "MocoV3")]
    [InlineData("ViaCatch", Data + "FixtureException")]
    [InlineData("ViaRecord", Data + "Batch")]
    [InlineData("ViaNested", Data + "Batch")]
    [InlineData("ViaGenericArgumentOfExternal", Data + "Generic`1")]
    [InlineData("ViaGenericArgumentOfExternal", Methods + "MocoV3")]
    [InlineData("ViaIterator", Methods + "MocoV3")]
    public void FindsDependency(string fromType, string toType)
    {
        var from = "ArchFixture.Training." + fromType;
        var found = Fixture.Value.Dependencies.Where(d => d.From == from).Select(d => d.To).Order().ToList();
        Assert.True(found.Contains(toType), $"{from} -> {toType} not found; found: {string.Join(", ", found)}");
    }

    [Fact]
    public void CleanTypeHasNoDependencies() =>
        Assert.DoesNotContain(Fixture.Value.Dependencies, d => d.From == "ArchFixture.Training.Clean");

    [Fact]
    public void NestedAndGeneratedTypesFoldOntoTheirOuterType()
    {
        var graph = Fixture.Value;
        Assert.DoesNotContain(graph.Types, t => t.Contains('/') || t.Contains('<'));
        Assert.DoesNotContain(graph.Dependencies, d => d.From == d.To);
        Assert.Contains(("Training", "Data"), graph.FolderEdges.Keys);
        Assert.Contains(("Training", "Methods"), graph.FolderEdges.Keys);
    }

    [Fact]
    public void AsyncStateMachineStringBelongsToItsOuterType()
    {
        var s = Assert.Single(Fixture.Value.Strings, s => s.Value == "dino");
        Assert.Equal("ArchFixture.Training.ViaAsyncString", s.Type);
        Assert.EndsWith("::MoveNext", s.Method);
        Assert.StartsWith("ArchFixture.Training.ViaAsyncString/", s.Method);
    }

    [Fact]
    public void OtherAssembliesAreRecordedWithoutResolvingThem()
    {
        var graph = Fixture.Value;
        Assert.Contains(new ExternalDependency("ArchFixture.Training.ViaOtherAssembly", "Pretrain.Core", "Pretrain.Config.RunConfig"),
            graph.ExternalDependencies);
        Assert.Contains("Pretrain.Core", graph.AssemblyReferences);
        Assert.DoesNotContain(graph.Types, t => !t.StartsWith("ArchFixture.", StringComparison.Ordinal));
    }
}
