using Pretrain.Checkpoints;
using Pretrain.Config;
using Serilog;

namespace Pretrain.Composition;

/// <summary>
/// `--resume PATH|auto`: the one place that turns it into a checkpoint file. `auto` = the newest valid
/// checkpoint of the run folder (none: start from scratch); a folder = its newest valid checkpoint; a
/// file = itself.
/// </summary>
public static class ResumeTarget
{
    /// <summary>Fails before anything is written when an explicit path does not exist.</summary>
    public static void Validate(string? resume)
    {
        if (resume is not null && resume != "auto" && !File.Exists(resume) && !Directory.Exists(resume))
            throw new UserInputException($"--resume {resume}: no such checkpoint file or run folder");
    }

    /// <summary>The checkpoint to load, or null for `auto` in a folder that has none yet.</summary>
    public static string? Resolve(string resume, string runDir, RunConfig cfg, ILogger log)
    {
        if (resume == "auto") return Store(runDir, cfg).ResolveAuto(w => log.Warning("{Warning}", w));
        if (!Directory.Exists(resume)) return resume;
        return Store(resume, cfg).ResolveAuto(w => log.Warning("{Warning}", w))
            ?? throw new UserInputException($"{resume}: no valid checkpoint in this run folder");
    }

    private static CheckpointStore Store(string runDir, RunConfig cfg) => new(Path.Combine(runDir, "checkpoints"), cfg.Training.KeepLast);
}
