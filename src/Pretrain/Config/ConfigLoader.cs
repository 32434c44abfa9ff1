using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Pretrain.Config;

/// <summary>
/// Loads a run config: the file and its `base:` chain, then `--set` overrides, then `${ENV}` expansion,
/// then shape checks on the YAML nodes (so errors keep file:line:col), then deserialization, presets and
/// value checks. Any problem throws <see cref="ConfigException"/> with a one-line message.
/// </summary>
public static class ConfigLoader
{
    static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    public static RunConfig Load(string path, IReadOnlyList<string>? overrides = null)
    {
        var fullPath = Path.GetFullPath(path);
        var tree = new ConfigTree(new YamlMappingNode(), ConfigPaths.Display(fullPath));
        tree.Root = ConfigFileReader.Read(fullPath, tree);
        ConfigOverrides.Apply(tree, overrides ?? []);
        EnvironmentExpansion.ExpandValues(tree);
        ConfigSchema.Check(tree);

        var text = new StringWriter();
        new YamlStream(new YamlDocument(tree.Root)).Save(text, assignAnchors: false);
        var config = Deserializer.Deserialize<RunConfig?>(text.ToString()) ?? new RunConfig();
        config.Base = null;

        ConfigPresets.Apply(config);
        ConfigRules.Check(config, tree);
        return config;
    }
}
