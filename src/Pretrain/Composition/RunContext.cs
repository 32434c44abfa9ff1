using Pretrain.Config;
using Pretrain.Training;

namespace Pretrain.Composition;

/// <summary>
/// Everything a training run gets from the command line: the validated config, where it came from, the
/// run folder (already created, holding config.yaml and log.jsonl), what to resume from
/// (null, "auto" or a path), a device that overrides experiment.device (null = use the config),
/// the run's logger and the Ctrl-C / SIGTERM signal to poll between steps, and the data splits when
/// the command already opened them (so a missing or empty dataset fails before the run folder exists),
/// the data-parallel world the process belongs to (null: one process), and whether a resume may change
/// the schedule (--allow-schedule-change).
/// </summary>
public sealed record RunContext(
    RunConfig Config,
    string ConfigPath,
    string RunDir,
    string? Resume,
    string? DeviceOverride,
    Serilog.ILogger Log,
    ShutdownSignal Shutdown,
    Pretrain.Data.DataSplits? Data = null,
    Pretrain.Distributed.DataParallel? Dp = null,
    bool AllowScheduleChange = false);
