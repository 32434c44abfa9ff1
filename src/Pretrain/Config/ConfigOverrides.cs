using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Pretrain.Config;

/// <summary>
/// Applies `--set a.b.c=value` on top of the merged file tree, before validation, so an override is
/// checked exactly like a key in a file and its errors name the `--set` that caused them.
/// A value starting with `[`, `{` or a quote is read as YAML (`[0.1, 0.9]`, `'007'`); anything else is
/// one plain scalar whose type the config model decides. A numeric segment indexes a list
/// (`augment.views.1.crop_size=96`).
/// </summary>
internal static class ConfigOverrides
{
    public static void Apply(ConfigTree tree, IReadOnlyList<string> overrides)
    {
        foreach (var text in overrides) Apply(tree, text);
    }

    static void Apply(ConfigTree tree, string text)
    {
        int eq = text.IndexOf('=');
        var key = eq < 0 ? "" : text[..eq].Trim();
        var segments = key.Split('.');
        if (eq <= 0 || segments.Any(s => s.Length == 0))
            throw new ConfigException($"--set {text}: expected KEY=VALUE with a dotted key, e.g. --set optimizer.lr=0.001");
        if (segments[0] == "base")
            throw new ConfigException($"--set {text}: base: can only be given inside a config file");

        var value = ParseValue(text, text[(eq + 1)..]);
        tree.RegisterOverride(value, text);

        YamlNode current = tree.Root;
        for (int i = 0; i < segments.Length; i++)
        {
            var prefix = string.Join('.', segments[..(i + 1)]);
            bool last = i == segments.Length - 1;
            if (current is YamlSequenceNode seq && int.TryParse(segments[i], out int index))
            {
                if (index < 0 || index >= seq.Children.Count)
                    throw new ConfigException($"--set {text}: {prefix}: index {index} is out of range (the list has {seq.Children.Count} items)");
                if (last) seq.Children[index] = value;
                else current = seq.Children[index];
            }
            else if (current is YamlMappingNode map)
            {
                var keyNode = new YamlScalarNode(segments[i]);
                if (map.Children.TryGetValue(keyNode, out var existing))
                {
                    if (last) map.Children[keyNode] = value;
                    else if (existing is YamlMappingNode or YamlSequenceNode) current = existing;
                    else current = map.Children[keyNode] = NewOverrideMapping(tree, text);
                }
                else
                {
                    tree.RegisterOverride(keyNode, text);
                    if (last) map.Children.Add(keyNode, value);
                    else
                    {
                        // Indexing into a list the files leave at its default needs that default list.
                        YamlNode child = int.TryParse(segments[i + 1], out _) && DefaultList(segments[..(i + 1)]) is { } list
                            ? list
                            : new YamlMappingNode();
                        tree.RegisterOverride(child, text);
                        map.Children.Add(keyNode, child);
                        current = child;
                    }
                }
            }
            else
            {
                throw new ConfigException($"--set {text}: {prefix}: cannot set '{segments[i]}' inside a single value");
            }
        }
    }

    /// <summary>The model's default value at a key path as YAML nodes, when it is a list.</summary>
    static YamlSequenceNode? DefaultList(string[] keyPath)
    {
        object? value = new RunConfig();
        foreach (var segment in keyPath)
        {
            if (value is System.Collections.IList items && int.TryParse(segment, out int i) && i < items.Count) value = items[i];
            else if (value is not null && ConfigSchema.Keys(value.GetType()).TryGetValue(segment, out var property)) value = property.GetValue(value);
            else return null;
        }
        if (value is not System.Collections.IList) return null;
        var stream = new YamlStream();
        stream.Load(new StringReader(ConfigWriter.Serializer.Serialize(value)));
        return stream.Documents[0].RootNode as YamlSequenceNode;
    }

    static YamlMappingNode NewOverrideMapping(ConfigTree tree, string text)
    {
        var map = new YamlMappingNode();
        tree.RegisterOverride(map, text);
        return map;
    }

    static YamlNode ParseValue(string text, string value)
    {
        var trimmed = value.Trim();
        if (trimmed.Length == 0 || "[{'\"".IndexOf(trimmed[0]) < 0)
            return new YamlScalarNode(value) { Style = ScalarStyle.Plain };
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(trimmed));
            return stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new ConfigException($"--set {text}: invalid YAML value '{trimmed}': {ConfigFileReader.WithoutMarks(e)}");
        }
    }
}
