using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization.NamingConventions;

namespace Pretrain.Config;

/// <summary>
/// Checks the node tree against the shape of <see cref="RunConfig"/> by reflection (every key known,
/// every value of the property's type) before YamlDotNet sees it, so that each error can name the file,
/// line, column and key path. After this check deserialization cannot fail.
/// </summary>
internal static class ConfigSchema
{
    static readonly NullabilityInfoContext Nullability = new();

    /// <summary>YAML key → property of a config section, in declaration order.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Keys(Type section)
    {
        var keys = new Dictionary<string, PropertyInfo>();
        foreach (var p in section.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            // `base` is consumed by the file reader and never reaches the model.
            if (p.SetMethod is not { IsPublic: true } || (section == typeof(RunConfig) && p.Name == nameof(RunConfig.Base))) continue;
            keys[KeyOf(p)] = p;
        }
        return keys;
    }

    public static string KeyOf(PropertyInfo p) => UnderscoredNamingConvention.Instance.Apply(p.Name);

    public static bool IsSection(Type t) => t.IsClass && t != typeof(string) && !t.IsArray && t.Namespace == typeof(RunConfig).Namespace;

    public static Type? ElementType(Type t) =>
        t.IsArray ? t.GetElementType() : t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) ? t.GetGenericArguments()[0] : null;

    public static void Check(ConfigTree tree) => CheckMapping(tree, tree.Root, typeof(RunConfig), "");

    static void CheckMapping(ConfigTree tree, YamlMappingNode map, Type section, string path)
    {
        var keys = Keys(section);
        // A section header whose keys are all commented out (`sdmp:`) means "defaults", not an error.
        var emptySections = map.Children
            .Where(kv => kv.Key is YamlScalarNode { Value: { } k } && keys.TryGetValue(k, out var p) && IsSection(p.PropertyType)
                         && kv.Value is YamlScalarNode v && ConfigTree.IsNull(v))
            .Select(kv => kv.Key).ToList();
        foreach (var key in emptySections) map.Children[key] = new YamlMappingNode();

        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
                throw tree.Error(keyNode, path.Length == 0 ? "(top level)" : path, "keys must be plain names");
            var keyPath = path.Length == 0 ? key : $"{path}.{key}";
            if (!keys.TryGetValue(key, out var property))
                throw tree.Error(keyNode, keyPath, $"unknown key{EditDistance.DidYouMean(key, keys.Keys)}");
            bool nullable = Nullability.Create(property).WriteState == NullabilityState.Nullable;
            CheckValue(tree, value, property.PropertyType, keyPath, nullable);
        }
    }

    static void CheckValue(ConfigTree tree, YamlNode node, Type type, string path, bool nullable)
    {
        if (IsSection(type))
        {
            if (node is not YamlMappingNode map)
                throw tree.Error(node, path, $"expected a mapping of keys, got {Describe(node)}");
            CheckMapping(tree, map, type, path);
        }
        else if (ElementType(type) is { } element)
        {
            if (node is not YamlSequenceNode seq)
                throw tree.Error(node, path, $"expected a list such as [a, b], got {Describe(node)}");
            for (int i = 0; i < seq.Children.Count; i++)
                CheckValue(tree, seq.Children[i], element, $"{path}[{i}]", false);
        }
        else
        {
            CheckScalar(tree, node, type, path, nullable);
        }
    }

    static void CheckScalar(ConfigTree tree, YamlNode node, Type type, string path, bool nullable)
    {
        var expected = type == typeof(string) ? "a string"
            : type == typeof(int) || type == typeof(long) ? "an integer"
            : type == typeof(double) ? "a number"
            : type == typeof(bool) ? "true or false"
            : throw new InvalidOperationException($"config property {path} has unsupported type {type}");
        if (node is not YamlScalarNode scalar)
            throw tree.Error(node, path, $"expected {expected}, got {Describe(node)}");
        if (ConfigTree.IsNull(scalar))
        {
            if (!nullable) throw tree.Error(node, path, $"expected {expected}, got nothing");
            // An empty plain scalar would be re-emitted as '' (an empty string); keep it a null.
            scalar.Value = "null";
            scalar.Style = YamlDotNet.Core.ScalarStyle.Plain;
            return;
        }

        var text = scalar.Value!;
        bool ok = type == typeof(string)
            || (type == typeof(int) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (type == typeof(long) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
            || (type == typeof(double) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
            || (type == typeof(bool) && bool.TryParse(text, out _));
        if (!ok)
            throw tree.Error(node, path, $"expected {expected}, got '{text}'");
        if (type == typeof(bool))
            scalar.Value = bool.Parse(text) ? "true" : "false";
    }

    static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode s when ConfigTree.IsNull(s) => "nothing",
        YamlScalarNode s => $"'{s.Value}'",
        _ => "an alias",
    };
}
