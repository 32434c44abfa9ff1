using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Distributed;
using Pretrain.Eval;
using Pretrain.Training;

namespace Pretrain.Composition;

/// <summary>`pretrain run`: builds the trainer, resumes if asked, trains, writes the final checkpoint
/// and the optional final probe. Returns the process exit code.</summary>
public static class TrainingRun
{
    public static int Execute(RunContext ctx)
    {
        var log = ctx.Log;
        var dp = ctx.Dp ?? DataParallel.Single;
        var device = RunBuilder.Device(ctx.Config, ctx.DeviceOverride, dp);
        var data = ctx.Data ?? RunBuilder.TrainingData(ctx.Config, dp);
        using var trainer = new Trainer(RunBuilder.Parts(ctx.Config, ctx.RunDir, log, device, data, dp: dp), log, ctx.Shutdown.Token);
        if (ctx.Resume is { } resume) ResumeOrStartOver(trainer, resume, ctx.RunDir, ctx.Config, log, dp, ctx.AllowScheduleChange);

        bool finished;
        try
        {
            finished = trainer.Run();
        }
        catch (NonFiniteLossException e)
        {
            // Once: the console sink prints errors to stderr, log.jsonl keeps the same line.
            log.Error("{Message:l}", e.Message);
            return NonFiniteLossException.ExitCode;
        }
        if (!finished) return ctx.Shutdown.ExitCode;
        trainer.SaveCheckpoint(epochFile: false);
        log.Information("Training finished at step {Step}; checkpoint {Dir}", trainer.Step, Path.Combine(ctx.RunDir, "checkpoints", "latest.ckpt"));

        if (ctx.Config.Training.FinalProbe && dp.Rank == 0)
        {
            var report = FinalProbe.Run(trainer.Method.ProbeBackbone(), ctx.Config, data, trainer.Device, ctx.RunDir, log, ProgressLines(log));
            var line = $"Final probe (linear top-1 on val): pretrained {report.ProbeTop1:F2}%  vs random init {report.RandomInitTop1:F2}%   " +
                       $"| k-NN@20: {report.KnnTop1:F2}% vs {report.RandomInitKnnTop1:F2}%   -> {Path.Combine(ctx.RunDir, "final_probe.json")}";
            log.Information("{Line}", line);
        }
        return 0;
    }

    /// <summary>`--resume PATH|auto`: loads the checkpoint it names; `auto` in a folder without one starts
    /// from scratch (Trainer.Run drops what a killed earlier process logged either way).</summary>
    public static void ResumeOrStartOver(Trainer trainer, string resume, string runDir, RunConfig cfg, Serilog.ILogger log, DataParallel dp,
        bool allowScheduleChange = false)
    {
        // Rank 0 picks the checkpoint (resolving may clear stale temp files); every rank loads it.
        var path = dp.BroadcastString(dp.Rank == 0 ? ResumeTarget.Resolve(resume, runDir, cfg, log) : null);
        if (path is null) log.Information("--resume auto: no checkpoint in {Dir}; starting from scratch", runDir);
        else trainer.Resume(path, allowScheduleChange);
    }

    /// <summary>Progress of the run's evaluation passes as log lines every PRETRAIN_PROGRESS_SECONDS (30 s);
    /// a pass quicker than that logs nothing.</summary>
    internal static IProgressSink ProgressLines(Serilog.ILogger log) =>
        new LineProgressSink(line => log.Information("{Progress:l}", line), LineProgressSink.IntervalFromEnvironment(), quietShortTasks: true);
}
