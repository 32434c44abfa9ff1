using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

/// <summary>The README's config reference lists every key of the model, and no key that does not exist.</summary>
public class ReadmeReferenceTests
{
    static IEnumerable<string> KeyPaths(Type section, string prefix)
    {
        foreach (var (key, property) in ConfigSchema.Keys(section))
        {
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            var type = property.PropertyType;
            if (ConfigSchema.IsSection(type))
            {
                foreach (var p in KeyPaths(type, path)) yield return p;
                continue;
            }
            yield return path;
            if (ConfigSchema.ElementType(type) is { } element && ConfigSchema.IsSection(element))
                foreach (var p in KeyPaths(element, path + "[]")) yield return p;
        }
    }

    static string Readme() => File.ReadAllText(RepoFiles.Path("README.md"));

    [Fact]
    public void EveryConfigKeyHasARowAndEveryRowIsAKey()
    {
        var readme = Readme();
        var keys = KeyPaths(typeof(RunConfig), "").ToList();
        Assert.Contains("augment.views[].crop_size", keys);
        Assert.Contains("method.dino.out_dim", keys);

        var missing = keys.Where(k => !readme.Contains($"| `{k}` |")).ToList();
        Assert.True(missing.Count == 0, "README config reference lacks: " + string.Join(", ", missing));

        var rows = System.Text.RegularExpressions.Regex.Matches(readme, @"^\| `([a-z0-9_.\[\]]+)` \| `", System.Text.RegularExpressions.RegexOptions.Multiline)
            .Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(keys.Count, rows.Count);
        Assert.Empty(rows.Except(keys));
    }
}
