using System.Text.Json;
using Pretrain.Config;
using Pretrain.Eval;
using static TorchSharp.torch;

namespace Pretrain.Training;

/// <summary>`pretrain run`: builds the trainer, resumes if asked, trains, writes the final checkpoint
/// and the optional final probe. Returns the process exit code.</summary>
public static class TrainingRun
{
    public static int Execute(RunContext ctx)
    {
        var log = ctx.Log;
        using var trainer = new Trainer(ctx.Config, ctx.RunDir, log, ctx.Shutdown.Token, ctx.DeviceOverride, ctx.Data);
        if (ctx.Resume is { } resume)
        {
            var path = trainer.ResolveResume(resume);
            if (path is null)
            {
                if (resume != "auto") throw new UserInputException($"--resume {resume}: no checkpoint found");
                log.Information("--resume auto: no checkpoint in {Dir}; starting from scratch", ctx.RunDir);
            }
            else trainer.Resume(path);
        }

        bool finished;
        try
        {
            finished = trainer.Run();
        }
        catch (NonFiniteLossException e)
        {
            log.Error("{Message}", e.Message);
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        if (!finished) return ctx.Shutdown.ExitCode;
        trainer.SaveCheckpoint(epochFile: false);
        log.Information("Training finished at step {Step}; checkpoint {Dir}", trainer.Step, Path.Combine(ctx.RunDir, "checkpoints", "latest.ckpt"));

        if (ctx.Config.Training.FinalProbe)
        {
            var report = FinalProbe.Run(trainer.Method.ProbeBackbone(), ctx.Config, trainer.Device, ctx.RunDir, log);
            var line = $"Final probe (linear top-1 on val): pretrained {report.ProbeTop1:F2}%  vs random init {report.RandomInitTop1:F2}%   " +
                       $"| k-NN@20: {report.KnnTop1:F2}% vs {report.RandomInitKnnTop1:F2}%   -> {Path.Combine(ctx.RunDir, "final_probe.json")}";
            log.Information("{Line}", line);
        }
        return 0;
    }
}
