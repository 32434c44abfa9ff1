using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

/// <summary>
/// Every YAML file under configs/ loads through the loader a run uses, and says what its name says: the
/// method its file name starts with, SDMP on exactly when the name ends in "_sdmp" (and in the
/// quickstart), and bench configs run on built-in synthetic data so that `pretrain bench step` needs
/// nothing else. Configs that read a dataset folder from `${...}` get an existing folder instead.
/// </summary>
public class ShippedConfigTests
{
    static List<string> Relative()
    {
        var root = RepoFiles.Path("configs");
        return Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal).ToList();
    }

    public static TheoryData<string> Files() => new(Relative());

    [Fact]
    public void TheBenchConfigsAndTheRecipesAreAllThere()
    {
        var files = Relative();
        Assert.Contains("quickstart.yaml", files);
        Assert.Contains(Path.Combine("bench", "mocov3_vit_small_224_sdmp.yaml"), files);
        Assert.Contains(Path.Combine("bench", "mocov3_resnet50_224_sdmp.yaml"), files);
        Assert.True(files.Count >= 20, $"{files.Count} configs");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void LoadsAndIsWhatItsNameSays(string relative)
    {
        using var dir = new TempConfigDir();
        var path = RepoFiles.Path("configs", relative);
        var overrides = ReadsEnvironment(path) ? new[] { $"data.path={dir.Root}" } : [];
        var config = ConfigLoader.Load(path, overrides);

        var stem = Path.GetFileNameWithoutExtension(relative);
        var bench = Path.GetDirectoryName(relative) == "bench";
        if (stem != "quickstart")
            Assert.StartsWith(config.Method.Name, stem);
        Assert.Equal(stem.EndsWith("_sdmp") || stem == "quickstart", config.Sdmp.Enabled);
        if (bench)
        {
            Assert.Equal("synthetic", config.Data.Source);
            Assert.Equal("bench_" + stem, config.Experiment.Name);
        }
    }

    /// <summary>Whether the file or a file in its base chain takes a value from the environment.</summary>
    static bool ReadsEnvironment(string path)
    {
        for (var p = path; p is not null;)
        {
            var text = File.ReadAllText(p);
            if (text.Contains("${")) return true;
            var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("base:"));
            p = line is null ? null : Path.Combine(Path.GetDirectoryName(p)!, line["base:".Length..].Trim());
        }
        return false;
    }
}
