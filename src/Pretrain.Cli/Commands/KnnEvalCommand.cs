using System.CommandLine;
using Pretrain.Common;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Eval;
using Pretrain.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Cli.Commands;

/// <summary>
/// `pretrain knn-eval`: weighted k-NN (DINO) on frozen features of a checkpoint, for every eval.knn_k
/// at once; writes knn_eval.json. Features can be saved (--save-features) and reused (--features),
/// in which case no checkpoint or data is needed.
/// </summary>
internal static class KnnEvalCommand
{
    public static Command Create(CliSession session)
    {
        var options = new EvalOptions();
        var progress = new ProgressOption();
        var saveFeatures = new Option<string?>("--save-features") { Description = "Also save the extracted train/val features to this file", HelpName = "PATH" };
        var features = new Option<string?>("--features") { Description = "Use features saved by --save-features instead of extracting them", HelpName = "PATH" };
        var command = new Command("knn-eval", "Weighted k-nearest-neighbour classification with frozen features of a pretrained checkpoint");
        options.AddTo(command);
        command.Options.Add(saveFeatures);
        command.Options.Add(features);
        progress.AddTo(command);
        command.SetAction(parse => EvalOptions.InputErrorsAsUsage(() => Execute(session, parse, options, progress, parse.GetValue(features), parse.GetValue(saveFeatures))));
        return command;
    }

    static int Execute(CliSession session, ParseResult parse, EvalOptions options, ProgressOption progressOption, string? featuresPath, string? savePath)
    {
        var checkpoint = parse.GetValue(options.Checkpoint);
        if (checkpoint is null && featuresPath is null)
            throw new UserInputException("pretrain knn-eval: give --checkpoint PATH|RUN_DIR, or --features PATH saved by an earlier --save-features");
        if (featuresPath is not null && !File.Exists(featuresPath))
            throw new UserInputException($"--features {featuresPath}: no such file");
        using var model = checkpoint is null ? null : PretrainedModel.Open(checkpoint, CPU, w => session.Err.WriteLine(w));
        var cfg = options.ResolveConfig(parse, model?.Config ?? new RunConfig());
        using var log = EvalOptions.ConsoleLogger(session, parse, cfg);
        var progress = progressOption.Sink(session, parse, log);
        var outDir = Path.GetFullPath(parse.GetValue(options.Output) ?? model?.RunDir ?? Path.GetDirectoryName(Path.GetFullPath(featuresPath!))!);
        var device = RunBuilder.Device(cfg, parse.GetValue(options.Device));
        var which = parse.GetValue(options.Backbone) ?? "default";

        FeatureSet set;
        string source;
        if (featuresPath is not null)
        {
            set = FeatureSet.Load(featuresPath, device);
            source = Path.GetFullPath(featuresPath);
            log.Information("knn-eval: features from {Path:l}", source);
        }
        else
        {
            var backbone = model!.Backbone(which);
            backbone.to(device);
            source = model.CheckpointPath;
            log.Information("pretrain {Version:l} knn-eval: checkpoint {Checkpoint:l} (step {Step}), backbone {Backbone:l}, on {Device}",
                CliApp.Version, source, model.Step, which, device.ToString());
            set = KnnEvaluation.ExtractFeatures(backbone, cfg, RunBuilder.Data(cfg), device, cfg.Training.BatchSize, progress);
        }
        using (set)
        {
            if (savePath is not null)
            {
                set.Save(savePath);
                log.Information("knn-eval: saved features to {Path:l}", Path.GetFullPath(savePath));
            }
            var results = KnnEvaluation.Evaluate(set, cfg, progress);
            foreach (var r in results)
                log.Information("knn-eval k {K}: top-1 {Top1:F2}, top-5 {Top5:F2}", r.K, r.Top1, r.Top5);
            var path = KnnEvaluation.Write(outDir, KnnEvaluation.Report(results, cfg.Eval.KnnTemperature, set, source, featuresPath is null ? which : "from features"));
            log.Information("knn-eval: wrote {Path:l}", path);
        }
        return ExitCodes.Success;
    }
}
