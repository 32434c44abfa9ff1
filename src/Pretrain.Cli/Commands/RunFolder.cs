using Pretrain.Config;

namespace Pretrain.Cli.Commands;

/// <summary>
/// Creates the run folder and records the resolved config in it. A new run writes config.yaml. Resuming
/// keeps the original config.yaml and, when the config now differs, writes config.resume.yaml beside it.
/// Starting a new run in a folder that already holds one is refused, so results are never overwritten.
/// </summary>
internal static class RunFolder
{
    public const string ConfigFile = "config.yaml";
    public const string ResumeConfigFile = "config.resume.yaml";

    public static string Resolve(RunConfig config, string? output) =>
        Path.GetFullPath(output ?? Path.Combine(config.Experiment.Output, config.Experiment.Name));

    /// <summary>Returns what was done, for the log.</summary>
    public static string Prepare(string runDir, RunConfig config, bool resuming)
    {
        var yaml = ConfigWriter.ToYaml(config);
        var configPath = Path.Combine(runDir, ConfigFile);
        if (!File.Exists(configPath))
        {
            Directory.CreateDirectory(runDir);
            File.WriteAllText(configPath, yaml);
            return $"wrote {ConfigFile}";
        }
        if (!resuming)
            throw new UserInputException(
                $"{ConfigPaths.Display(runDir)}: already holds a run ({ConfigFile}); continue it with --resume auto, " +
                "or start a new one with --output DIR or --set experiment.name=NAME");
        if (PreviousConfigYaml(configPath) == yaml)
            return $"config unchanged since {ConfigFile}";
        File.WriteAllText(Path.Combine(runDir, ResumeConfigFile), yaml);
        return $"config differs from {ConfigFile}; wrote {ResumeConfigFile}";
    }

    // Compared after re-resolving so that formatting or key order alone does not count as a change.
    static string PreviousConfigYaml(string path)
    {
        try { return ConfigWriter.ToYaml(ConfigLoader.Load(path)); }
        catch (ConfigException) { return File.ReadAllText(path); }
    }
}
