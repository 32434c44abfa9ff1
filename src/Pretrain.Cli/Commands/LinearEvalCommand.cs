using System.CommandLine;
using Pretrain.Cli.Logging;
using Pretrain.Common;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Eval;
using Pretrain.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Cli.Commands;

/// <summary>
/// `pretrain linear-eval`: a linear classifier on the frozen backbone of a checkpoint, with the
/// checkpoint's own config (plus overlay / overrides) for data and eval.linear settings; writes
/// linear_eval.json and checkpoints the classifier under OUT/linear_eval/ every epoch.
/// </summary>
internal static class LinearEvalCommand
{
    public static Command Create(CliSession session)
    {
        var options = new EvalOptions();
        var progress = new ProgressOption();
        var resume = new Option<bool>("--resume") { Description = "Continue the linear evaluation checkpointed in OUT/linear_eval/" };
        var command = new Command("linear-eval", "Train a linear classifier on frozen features of a pretrained checkpoint (MoCo v3 or DINO protocol)");
        options.AddTo(command);
        command.Options.Add(resume);
        progress.AddTo(command);
        command.SetAction(parse => EvalOptions.InputErrorsAsUsage(() => Execute(session, parse, options, progress, parse.GetValue(resume))));
        return command;
    }

    static int Execute(CliSession session, ParseResult parse, EvalOptions options, ProgressOption progressOption, bool resume)
    {
        using var model = PretrainedModel.Open(options.RequiredCheckpoint(parse, "linear-eval"), CPU, w => session.Err.WriteLine(w));
        var cfg = options.ResolveConfig(parse, model.Config);
        var outDir = Path.GetFullPath(parse.GetValue(options.Output) ?? model.RunDir);
        var logDir = Path.Combine(outDir, LinearEvaluation.FolderName);
        // One linear evaluation per OUT/linear_eval/ (a pretraining run may still be writing OUT itself).
        using var folderLock = Pretrain.Checkpoints.RunFolderLock.Acquire(logDir);
        var level = RunLog.ParseLevel(parse.GetValue(session.LogLevel) ?? cfg.Logging.Level);
        using var log = RunLog.Create(logDir, level, session.Out, session.Err);
        using var shutdown = ShutdownSignal.ListenToProcess(signal => log.Logger.Warning(
            "{Signal:l} received: stopping after the current epoch and saving the classifier", ShutdownSignal.Name(signal)));
        try
        {
            var device = RunBuilder.Device(cfg, parse.GetValue(options.Device));
            var backbone = model.Backbone(cfg.Eval.Linear.Backbone);
            backbone.to(device);
            log.Logger.Information("pretrain {Version:l} linear-eval: checkpoint {Checkpoint:l} (step {Step}), backbone {Backbone:l}, on {Device}",
                CliApp.Version, model.CheckpointPath, model.Step, cfg.Eval.Linear.Backbone, device.ToString());
            var report = LinearEvaluation.Run(backbone, cfg, RunBuilder.Data(cfg), device,
                new LinearEvaluation.Options(outDir, model.CheckpointPath, resume, log.Logger, shutdown.Token, progressOption.Sink(session, parse, log.Logger)));
            log.Logger.Information("linear-eval ({Mode:l} mode: {What:l}): best top-1 {Best:F2} (epoch {Epoch}), last top-1 {Last:F2}, top-5 {Top5:F2}; wrote {Path:l}",
                report.Protocol.ModeName, report.Protocol.Mode == LinearModeKind.Fast ? "cached un-augmented features" : "augmented passes",
                report.Best.Top1, report.Best.Epoch, report.Last.Top1, report.Last.Top5, Path.Combine(outDir, LinearEvalReport.FileName));
            return report.Completed ? ExitCodes.Success : shutdown.ExitCode;
        }
        catch (Exception e)
        {
            var reported = e is Pretrain.Data.DataException or Pretrain.Checkpoints.CheckpointException ? new UserInputException(e.Message, e) : e;
            return FailureReport.Report(reported, session.Err, log, shutdown);
        }
    }
}
