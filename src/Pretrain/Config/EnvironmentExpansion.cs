using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Pretrain.Config;

/// <summary>
/// Replaces `${NAME}` in config values with the environment variable NAME, so one config can point at
/// data that lives in different places on different machines. An unset variable is an error rather than
/// an empty string, because an empty path or number fails later with a far less helpful message.
/// </summary>
public static partial class EnvironmentExpansion
{
    public static string Expand(string text, Func<string, Exception> unset) =>
        Reference().Replace(text, m => Environment.GetEnvironmentVariable(m.Groups[1].Value) ?? throw unset(m.Groups[1].Value));

    internal static void ExpandValues(ConfigTree tree) => ExpandNode(tree, tree.Root, "");

    static void ExpandNode(ConfigTree tree, YamlNode node, string path)
    {
        switch (node)
        {
            case YamlScalarNode s when s.Value is { } value && value.Contains("${"):
                s.Value = Expand(value, name => tree.Error(s, path, $"environment variable '{name}' is not set"));
                break;
            case YamlSequenceNode seq:
                for (int i = 0; i < seq.Children.Count; i++) ExpandNode(tree, seq.Children[i], $"{path}[{i}]");
                break;
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                    ExpandNode(tree, value, path.Length == 0 ? key.ToString() : $"{path}.{key}");
                break;
        }
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Reference();
}
