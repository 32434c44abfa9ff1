using Xunit;

namespace Pretrain.Tests.Architecture;

/// <summary>The folder dependency rules (<see cref="DependencyRules"/>) applied to the compiled Pretrain.Core.</summary>
public class ArchitectureTests
{
    private static readonly Lazy<DependencyGraph> Library =
        new(() => DependencyGraphReader.Read(typeof(global::Pretrain.Config.RunConfig).Assembly.Location));

    public static TheoryData<string> Rules => new(DependencyRules.RuleIds);

    [Theory]
    [MemberData(nameof(Rules))]
    public void LibraryObeysRule(string rule)
    {
        var violations = DependencyRules.Check(Library.Value, rule);
        if (violations.Count > 0) Assert.Fail(DependencyRules.Format(rule, violations));
    }

    [Fact]
    public void ReaderSeesTheLibrary()
    {
        var graph = Library.Value;
        Assert.Equal("Pretrain.Core", graph.AssemblyName);
        Assert.Contains(typeof(global::Pretrain.Config.RunConfig).FullName!, graph.Types);
        Assert.Equal("Config", graph.FolderOf(typeof(global::Pretrain.Config.RunConfig).FullName!));
        Assert.Contains(("Training", "Methods"), graph.FolderEdges.Keys);
        Assert.Contains(graph.Dependencies, d => d.From.StartsWith("Pretrain.Training.", StringComparison.Ordinal)
                                                 && d.To == "Pretrain.Methods.ISslMethod");
        Assert.DoesNotContain(graph.Types, t => t.Contains('/') || !t.StartsWith("Pretrain.", StringComparison.Ordinal));
        Assert.Contains("TorchSharp", graph.AssemblyReferences);
    }
}

/// <summary>The rule table itself: names are consistent and the whitelist does not contradict the other rules.</summary>
public class DependencyRuleTableTests
{
    [Fact]
    public void TableNamesOnlyKnownFolders()
    {
        var known = DependencyRules.Allowed.Keys.ToHashSet();
        foreach (var (folder, targets) in DependencyRules.Allowed)
            foreach (var t in targets)
                Assert.True(t == "*" || (known.Contains(t) && t != folder), $"{folder} whitelists unknown folder {t}");
        foreach (var (rule, from, forbidden) in DependencyRules.Forbidden)
        {
            Assert.Contains(from, known);
            foreach (var f in forbidden) Assert.True(f == "*" || known.Contains(f), $"{rule} forbids unknown folder {f}");
        }
        Assert.Equal(DependencyRules.RuleIds.Order(), DependencyRules.Descriptions.Keys.Order());
    }

    [Fact]
    public void GraphWithEveryWhitelistedEdgePassesEveryRule()
    {
        var violations = DependencyRules.Check(PlantedGraphs.Clean());
        Assert.True(violations.Count == 0,
            string.Join("\n", violations.GroupBy(v => v.Rule).Select(g => DependencyRules.Format(g.Key, g.ToList()))));
    }

    [Fact]
    public void TarjanFindsComponents()
    {
        var succ = new Dictionary<string, List<string>>
        {
            ["a"] = ["b"], ["b"] = ["c"], ["c"] = ["a", "d"], ["d"] = ["e"], ["e"] = ["d"], ["f"] = ["a"],
        };
        var sccs = DependencyRules.StronglyConnectedComponents(["a", "b", "c", "d", "e", "f"], succ)
            .Select(c => string.Join(",", c.Order())).Order().ToList();
        Assert.Equal(["a,b,c", "d,e", "f"], sccs);
    }
}

/// <summary>A clean hand-built graph plus one planted break: each must be reported by exactly the expected rules.</summary>
public class PlantedViolationTests
{
    private static IReadOnlyList<Violation> Check(Action<DependencyGraph> plant)
    {
        var graph = PlantedGraphs.Clean();
        plant(graph);
        return DependencyRules.Check(graph);
    }

    private static string Message(IReadOnlyList<Violation> violations, string rule) =>
        DependencyRules.Format(rule, violations.Where(v => v.Rule == rule).ToList());

    private static void AssertRules(IReadOnlyList<Violation> violations, params string[] expected) =>
        Assert.Equal(expected.Order(), violations.Select(v => v.Rule).Distinct().Order());

    [Fact]
    public void ModelsOnData()
    {
        var v = Check(g => g.AddDependency("Pretrain.Models.ResNet/Block", "Pretrain.Data.Batch"));
        AssertRules(v, DependencyRules.R2, DependencyRules.R8);
        Assert.Contains("Models -> Data (1 type reference)", Message(v, DependencyRules.R2));
        Assert.Contains("Pretrain.Models.ResNet -> Pretrain.Data.Batch", Message(v, DependencyRules.R2));
        Assert.Contains("Models -> Data is not whitelisted", Message(v, DependencyRules.R8));
    }

    [Fact]
    public void TrainingOnConcreteMethod()
    {
        var v = Check(g => g.AddDependency("Pretrain.Training.Trainer", "Pretrain.Methods.MocoV3"));
        AssertRules(v, DependencyRules.R4a);
        var message = Message(v, DependencyRules.R4a);
        Assert.Contains("Training uses Pretrain.Methods.MocoV3", message);
        Assert.Contains("Pretrain.Training.Trainer -> Pretrain.Methods.MocoV3", message);
    }

    [Fact]
    public void TrainingOnLossesSubNamespaceOfMethods()
    {
        var v = Check(g => g.AddDependency("Pretrain.Training.Trainer/<>c", "Pretrain.Methods.Losses.DinoLoss"));
        AssertRules(v, DependencyRules.R4a);
        Assert.Contains("Pretrain.Training.Trainer -> Pretrain.Methods.Losses.DinoLoss", Message(v, DependencyRules.R4a));
    }

    [Fact]
    public void TrainingOnMembersOfTheInterfaceTypesIsFine()
    {
        var v = Check(g => g
            .AddDependency("Pretrain.Training.Trainer", "Pretrain.Methods.StepResult/Nested")
            .AddDependency("Pretrain.Training.Trainer/<Run>d__3", "Pretrain.Methods.ISslMethod"));
        Assert.Empty(v);
    }

    [Fact]
    public void EvalOnTraining()
    {
        var v = Check(g => g.AddDependency("Pretrain.Eval.KnnMonitor", "Pretrain.Training.Trainer"));
        AssertRules(v, DependencyRules.R5, DependencyRules.R8);
        Assert.Contains("Pretrain.Eval.KnnMonitor -> Pretrain.Training.Trainer", Message(v, DependencyRules.R5));
    }

    [Fact]
    public void ThreeFolderCycle()
    {
        // Clean already has Training -> Methods -> Models; Models -> Training closes the loop.
        var v = Check(g => g.AddDependency("Pretrain.Models.ResNet", "Pretrain.Training.Trainer"));
        AssertRules(v, DependencyRules.R2, DependencyRules.R7, DependencyRules.R8);
        var cycle = Assert.Single(v, x => x.Rule == DependencyRules.R7);
        // Methods -> Ema -> Models pulls Ema into the same component; its own shortest cycle is listed first.
        Assert.Equal("folders Ema, Methods, Models, Training depend on each other", cycle.Summary);
        var threeHop = cycle.Details.SkipWhile(d => d != "cycle: Methods -> Models -> Training -> Methods").ToList();
        Assert.Equal(
        [
            "cycle: Methods -> Models -> Training -> Methods",
            "  Methods -> Models: Pretrain.Methods.Losses.MocoLoss -> Pretrain.Models.ModelsType (+1 more)",
            "  Models -> Training: Pretrain.Models.ResNet -> Pretrain.Training.Trainer",
            "  Training -> Methods: Pretrain.Training.TrainingType -> Pretrain.Methods.ISslMethod (+2 more)",
        ], threeHop);
        Assert.Equal("cycle: Ema -> Models -> Training -> Methods -> Ema", cycle.Details[0]);
    }

    [Fact]
    public void CycleOnAGraphOfItsOwn()
    {
        var g = new DependencyGraph("Pretrain.Core")
            .AddDependency("Pretrain.Data.A", "Pretrain.Augment.B")
            .AddDependency("Pretrain.Augment.B", "Pretrain.Mixing.C")
            .AddDependency("Pretrain.Mixing.C", "Pretrain.Data.A")
            .AddDependency("Pretrain.Mixing.C", "Pretrain.Config.D");
        var cycle = Assert.Single(DependencyRules.Check(g, DependencyRules.R7));
        Assert.Equal("cycle: Augment -> Mixing -> Data -> Augment", cycle.Details[0]);
        Assert.Equal(4, cycle.Details.Count);
    }

    [Theory]
    [InlineData("dino")]
    [InlineData("DINO")]
    [InlineData("MocoV3")]
    [InlineData("mocov3")]
    public void TrainingMethodNameString(string literal)
    {
        var v = Check(g => g.AddString("Pretrain.Training.Trainer/<Run>d__4", "Pretrain.Training.Trainer/<Run>d__4::MoveNext", literal));
        AssertRules(v, DependencyRules.R4b);
        Assert.Contains($"Pretrain.Training.Trainer/<Run>d__4::MoveNext: ldstr \"{literal}\"", Message(v, DependencyRules.R4b));
        Assert.Contains("Pretrain.Training.Trainer loads method-name strings (1 ldstr)", Message(v, DependencyRules.R4b));
    }

    [Theory]
    [InlineData("Pretrain.Training.Trainer", "dino_head")]
    [InlineData("Pretrain.Training.Trainer", "mocov3 ")]
    [InlineData("Pretrain.Training.Trainer", "method")]
    [InlineData("Pretrain.Eval.LinearProbe", "dino")]
    [InlineData("Pretrain.Composition.Registry", "mocov3")]
    public void OtherStringsAreFine(string type, string literal)
    {
        Assert.Empty(Check(g => g.AddString(type, type + "::M", literal)));
    }

    [Fact]
    public void LibraryReferencesCliAssembly()
    {
        var v = Check(g => g.AddAssemblyReference("pretrain"));
        AssertRules(v, DependencyRules.R6);
        Assert.Contains("Pretrain.Core references assembly 'pretrain'", Message(v, DependencyRules.R6));
    }

    [Fact]
    public void LibraryTypeUsesCliType()
    {
        var v = Check(g => g.AddExternalDependency("Pretrain.Data.Loader", "pretrain", "Pretrain.Cli.Program/Options"));
        AssertRules(v, DependencyRules.R6);
        Assert.Contains("Pretrain.Data.Loader -> [pretrain]Pretrain.Cli.Program", Message(v, DependencyRules.R6));
    }

    [Fact]
    public void ConfigOnAnything()
    {
        var v = Check(g => g.AddDependency("Pretrain.Config.RunConfig", "Pretrain.Common.Paths"));
        AssertRules(v, DependencyRules.R1, DependencyRules.R7, DependencyRules.R8);
        Assert.Contains("Pretrain.Config.RunConfig -> Pretrain.Common.Paths", Message(v, DependencyRules.R1));
    }

    [Fact]
    public void MixingOnMethods()
    {
        var v = Check(g => g.AddDependency("Pretrain.Mixing.MixUp", "Pretrain.Methods.ISslMethod"));
        AssertRules(v, DependencyRules.R3, DependencyRules.R7, DependencyRules.R8);
    }

    [Fact]
    public void UnknownFolder()
    {
        var v = Check(g => g.AddDependency("Pretrain.Utils.Helper", "Pretrain.Config.RunConfig").AddType("Pretrain.Program"));
        AssertRules(v, DependencyRules.R8);
        var message = Message(v, DependencyRules.R8);
        Assert.Contains("unknown folder Utils: add it to the table (1 types)", message);
        Assert.Contains("unknown folder <root>: add it to the table", message);
    }

    [Fact]
    public void ManyPairsAreCappedInTheMessage()
    {
        var v = Check(g =>
        {
            for (var i = 0; i < 25; i++) g.AddDependency($"Pretrain.Models.M{i:00}", "Pretrain.Eval.E");
        });
        var r2 = Assert.Single(v, x => x.Rule == DependencyRules.R2);
        Assert.Equal(DependencyRules.MaxExamples + 1, r2.Details.Count);
        Assert.Equal("... and 15 more", r2.Details[^1]);
    }
}

public static class PlantedGraphs
{
    /// <summary>One type per folder of the table, every whitelisted edge, Training using only the method interface.</summary>
    public static DependencyGraph Clean()
    {
        static string Rep(string folder) => $"Pretrain.{folder}.{folder}Type";
        var g = new DependencyGraph("Pretrain.Core");
        g.AddAssemblyReference("System.Runtime").AddAssemblyReference("TorchSharp");
        foreach (var folder in DependencyRules.Allowed.Keys)
        {
            g.AddType(Rep(folder));
            foreach (var to in DependencyRules.AllowedTargets(folder))
                g.AddDependency(Rep(folder), folder == "Training" && to == "Methods" ? "Pretrain.Methods.ISslMethod" : Rep(to));
        }
        foreach (var t in DependencyRules.MethodTypesVisibleToTraining)
            g.AddDependency("Pretrain.Training.TrainingType", t);
        g.AddDependency("Pretrain.Methods.Losses.MocoLoss", "Pretrain.Models.ModelsType");
        g.AddDependency("Pretrain.Methods.MocoV3", "Pretrain.Methods.Losses.MocoLoss");
        g.AddExternalDependency("Pretrain.Models.ModelsType", "TorchSharp", "TorchSharp.torch/Tensor");
        g.AddString("Pretrain.Training.TrainingType", "Pretrain.Training.TrainingType::Run", "step {Step}");
        g.AddString("Pretrain.Methods.MocoV3", "Pretrain.Methods.MocoV3::get_Name", "mocov3");
        return g;
    }
}
