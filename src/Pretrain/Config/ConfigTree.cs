using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pretrain.Config;

/// <summary>
/// The merged YAML node tree of a run config, plus where every node came from (which file, or which
/// `--set`), so that errors found after merging still point at the exact file, line and column.
/// </summary>
internal sealed partial class ConfigTree(YamlMappingNode root, string rootFile)
{
    readonly record struct Origin(string Label, bool IsFile);

    // YamlNode overrides Equals by content; origins are per node object.
    readonly Dictionary<YamlNode, Origin> origins = new(ReferenceEqualityComparer.Instance);

    public YamlMappingNode Root { get; set; } = root;

    /// <summary>Display path of the file given on the command line.</summary>
    public string RootFile { get; } = rootFile;

    public void RegisterFile(YamlNode node, string displayPath) => Register(node, new Origin(displayPath, true));

    public void RegisterOverride(YamlNode node, string overrideText) => Register(node, new Origin($"--set {overrideText}", false));

    void Register(YamlNode node, Origin origin)
    {
        foreach (var n in node.AllNodes) origins[n] = origin;
    }

    /// <summary>`file:line:col` for a node read from a file, `--set k=v` for an override node.</summary>
    public string Where(YamlNode node)
    {
        if (!origins.TryGetValue(node, out var origin)) return RootFile;
        return origin.IsFile ? $"{origin.Label}:{node.Start.Line}:{node.Start.Column}" : origin.Label;
    }

    /// <summary>Where the value of a key path is set, or the top file when it keeps its default.</summary>
    public string WhereKey(string keyPath) => Find(keyPath) is { } node ? Where(node) : RootFile;

    public ConfigException Error(YamlNode node, string keyPath, string message) => new($"{Where(node)}: {keyPath}: {message}");

    public ConfigException ErrorAt(string keyPath, string message) => new($"{WhereKey(keyPath)}: {keyPath}: {message}");

    /// <summary>The node at a key path such as `augment.views[1].flip_p`, or null if absent.</summary>
    public YamlNode? Find(string keyPath)
    {
        YamlNode current = Root;
        foreach (var segment in keyPath.Split('.'))
        {
            var m = SegmentPattern().Match(segment);
            if (!m.Success) return null;
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(m.Groups[1].Value), out var next)) return null;
            current = next;
            foreach (Capture index in m.Groups[2].Captures)
            {
                if (current is not YamlSequenceNode seq) return null;
                int i = int.Parse(index.Value);
                if (i >= seq.Children.Count) return null;
                current = seq.Children[i];
            }
        }
        return current;
    }

    /// <summary>YAML's spellings of null for a plain (unquoted) scalar.</summary>
    public static bool IsNull(YamlScalarNode scalar) =>
        scalar.Style is ScalarStyle.Plain or ScalarStyle.Any && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    [GeneratedRegex(@"^([^\[\]]+)(?:\[(\d+)\])*$")]
    private static partial Regex SegmentPattern();
}
