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

        ConfigPresets.Apply(config, tree);
        ConfigRules.Check(config, tree);
        return config;
    }

    /// <summary>
    /// A config that was resolved and saved before (a checkpoint's copy of config.yaml). Without
    /// overrides it is taken as it is (its data paths may belong to another machine); with overrides it
    /// goes through the full loader, so they are checked like `--set` on a file.
    /// </summary>
    public static RunConfig FromYaml(string yaml, string source, IReadOnlyList<string>? overrides = null)
    {
        if (overrides is { Count: > 0 })
        {
            var tmp = Path.Combine(Path.GetTempPath(), $"pretrain-config-{Guid.NewGuid():N}.yaml");
            File.WriteAllText(tmp, yaml);
            try { return Load(tmp, overrides); }
            finally { File.Delete(tmp); }
        }
        try
        {
            return Deserializer.Deserialize<RunConfig?>(yaml) ?? new RunConfig();
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new ConfigException($"{source}: its saved config does not load ({e.InnerException?.Message ?? e.Message})");
        }
    }
}
