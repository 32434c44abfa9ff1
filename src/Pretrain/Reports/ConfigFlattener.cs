using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace Pretrain.Reports;

/// <summary>One flattened config value: its text (as a table shows it) and its JSON form.</summary>
public sealed record FlatValue(string Text, JsonNode? Json)
{
    public bool SameAs(FlatValue? other) => other is not null && Text == other.Text;
}

/// <summary>
/// Flattens a YAML config (a run folder's resolved `config.yaml`) into dotted keys:
/// `optimizer.lr`, `augment.views.0.crop_size`. A list of scalars stays one value (`[0.2, 1]`); a list
/// of mappings is indexed. Scalars keep their YAML type in the JSON form (integer, number, boolean,
/// null, string).
/// </summary>
public static class ConfigFlattener
{
    public static IReadOnlyDictionary<string, FlatValue> Flatten(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var flat = new SortedDictionary<string, FlatValue>(StringComparer.Ordinal);
        if (stream.Documents.Count > 0) Walk(stream.Documents[0].RootNode, "", flat);
        return flat;
    }

    private static void Walk(YamlNode node, string prefix, IDictionary<string, FlatValue> flat)
    {
        switch (node)
        {
            case YamlMappingNode map:
                if (map.Children.Count == 0 && prefix.Length > 0) flat[prefix] = new FlatValue("{}", new JsonObject());
                foreach (var (k, v) in map.Children)
                {
                    var key = k is YamlScalarNode s ? s.Value ?? "" : k.ToString();
                    Walk(v, prefix.Length == 0 ? key : $"{prefix}.{key}", flat);
                }
                break;
            case YamlSequenceNode seq when seq.Children.All(c => c is YamlScalarNode):
                var items = seq.Children.Cast<YamlScalarNode>().Select(Scalar).ToList();
                flat[prefix] = new FlatValue("[" + string.Join(", ", items.Select(i => i.Text)) + "]",
                    new JsonArray(items.Select(i => i.Json?.DeepClone()).ToArray()));
                break;
            case YamlSequenceNode seq:
                for (int i = 0; i < seq.Children.Count; i++) Walk(seq.Children[i], $"{prefix}.{i}", flat);
                if (seq.Children.Count == 0) flat[prefix] = new FlatValue("[]", new JsonArray());
                break;
            case YamlScalarNode scalar:
                flat[prefix] = Scalar(scalar);
                break;
        }
    }

    private static FlatValue Scalar(YamlScalarNode s)
    {
        var text = s.Value ?? "";
        bool plain = s.Style is YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any;
        if (plain)
        {
            if (text is "" or "~" or "null" or "Null" or "NULL") return new FlatValue("null", null);
            if (text is "true" or "True" or "TRUE") return new FlatValue("true", JsonValue.Create(true));
            if (text is "false" or "False" or "FALSE") return new FlatValue("false", JsonValue.Create(false));
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                return new FlatValue(text, JsonValue.Create(l));
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d))
                return new FlatValue(text, JsonValue.Create(d));
        }
        return new FlatValue(text, JsonValue.Create(text));
    }
}
