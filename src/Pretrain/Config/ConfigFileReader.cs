using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pretrain.Config;

/// <summary>
/// Reads a config file into YAML nodes and applies its `base:` chain: the base path is relative to the
/// file naming it, chains may be any depth, a file may not (indirectly) inherit from itself. Mappings
/// deep-merge (the child's keys win); lists and scalars in the child replace the base's whole value.
/// </summary>
internal static partial class ConfigFileReader
{
    public static YamlMappingNode Read(string fullPath, ConfigTree tree)
    {
        if (!File.Exists(fullPath))
            throw new ConfigException($"{ConfigPaths.Display(fullPath)}: config file not found");
        return Read(fullPath, tree, [fullPath]);
    }

    static YamlMappingNode Read(string fullPath, ConfigTree tree, List<string> chain)
    {
        var map = Parse(fullPath, tree);
        var baseKey = new YamlScalarNode("base");
        if (!map.Children.TryGetValue(baseKey, out var baseNode)) return map;
        map.Children.Remove(baseKey);

        if (baseNode is not YamlScalarNode baseScalar || ConfigTree.IsNull(baseScalar))
            throw tree.Error(baseNode, "base", "expected the path of a parent config file");
        var baseValue = EnvironmentExpansion.Expand(baseScalar.Value!,
            name => tree.Error(baseNode, "base", $"environment variable '{name}' is not set"));
        var basePath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(fullPath)!, baseValue));
        if (chain.Contains(basePath))
        {
            var cycle = string.Join(" -> ", chain.Append(basePath).Select(ConfigPaths.Display));
            throw tree.Error(baseNode, "base", $"inheritance cycle: {cycle}");
        }
        if (!File.Exists(basePath))
            throw tree.Error(baseNode, "base", $"file not found: {ConfigPaths.Display(basePath)}");

        chain.Add(basePath);
        var parent = Read(basePath, tree, chain);
        chain.RemoveAt(chain.Count - 1);
        MergeInto(map, parent);
        return map;
    }

    static YamlMappingNode Parse(string fullPath, ConfigTree tree)
    {
        var display = ConfigPaths.Display(fullPath);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(fullPath);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new ConfigException($"{display}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {WithoutMarks(e)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner fails this way (no position) on a flow mapping or list left open at
            // the end of the file, e.g. `key: {a: 1`.
            throw new ConfigException($"{display}: invalid YAML: a '{{' or '[' is never closed");
        }

        if (stream.Documents.Count > 1)
            throw new ConfigException($"{display}: holds {stream.Documents.Count} YAML documents; a config file holds one");
        var root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
        var map = root switch
        {
            null => new YamlMappingNode(),
            YamlScalarNode s when ConfigTree.IsNull(s) => new YamlMappingNode(),
            YamlMappingNode m => m,
            _ => throw new ConfigException($"{display}:{root.Start.Line}:{root.Start.Column}: the top level must be a mapping of config sections (experiment:, data:, ...)"),
        };
        tree.RegisterFile(map, display);
        return map;
    }

    /// <summary>Adds the parent's keys the child lacks; merges mappings present in both.</summary>
    static void MergeInto(YamlMappingNode child, YamlMappingNode parent)
    {
        foreach (var (key, parentValue) in parent.Children)
        {
            if (!child.Children.TryGetValue(key, out var childValue))
                child.Children.Add(key, parentValue);
            else if (childValue is YamlMappingNode childMap && parentValue is YamlMappingNode parentMap)
                MergeInto(childMap, parentMap);
        }
    }

    internal static string WithoutMarks(YamlException e)
    {
        var message = MarkPrefix().Replace(e.Message, "");
        return e.InnerException is { } inner ? $"{message} ({inner.Message})" : message;
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex MarkPrefix();
}
