using Pretrain.Checkpoints;
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
    /// <param name="allowScheduleChange">--allow-schedule-change: a resume whose schedule keys differ from
    /// config.yaml's is accepted and config.resume.yaml says so in its first lines; without it such a resume
    /// is refused here, before anything is written (the trainer checks the checkpoint's own config again).</param>
    public static string Prepare(string runDir, RunConfig config, bool resuming, bool allowScheduleChange = false)
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
        var previous = PreviousConfig(configPath);
        if (previous.Yaml == yaml)
            return $"config unchanged since {ConfigFile}";
        var changes = previous.Config is null ? [] : ResumeCompatibility.CheckSchedule(previous.Config, config, ConfigPaths.Display(configPath), allowScheduleChange);
        var header = changes.Count > 0
            ? $"# resumed with --allow-schedule-change; the schedule changes at the resumed step: {string.Join(", ", changes)}\n"
            : "";
        File.WriteAllText(Path.Combine(runDir, ResumeConfigFile), header + yaml);
        return $"config differs from {ConfigFile}; wrote {ResumeConfigFile}" + (changes.Count > 0 ? $" (schedule changed: {string.Join(", ", changes)})" : "");
    }

    // Compared after re-resolving so that formatting or key order alone does not count as a change.
    static (string Yaml, RunConfig? Config) PreviousConfig(string path)
    {
        try
        {
            var c = ConfigLoader.Load(path);
            return (ConfigWriter.ToYaml(c), c);
        }
        catch (ConfigException) { return (File.ReadAllText(path), null); }
    }
}
