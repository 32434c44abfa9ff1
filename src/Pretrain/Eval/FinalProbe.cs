using System.Text.Json;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Models;
using Serilog;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// The end-of-run sanity probe: k-NN (k 20, T 0.07) and a linear probe on frozen features of the
/// labelled train/val splits, for the trained backbone and for a random-init backbone of the same
/// architecture with ordinary initialisation (zero-init residual off: that would flatter the margin).
/// Writes final_probe.json (probe_top1 = linear top-1; knn figures beside it).
/// </summary>
public static class FinalProbe
{
    public sealed record Report(double ProbeTop1, double RandomInitTop1, double KnnTop1, double RandomInitKnnTop1, int TrainSamples, int ValSamples);

    public static Report Run(Backbone trained, RunConfig cfg, DataSplits splits, Device device, string runDir, ILogger log, IProgressSink? progress = null)
    {
        var train = splits.Train;
        var val = splits.Val;
        if (val is null || train.Classes.Count == 0 || val.Classes.Count == 0)
            throw new UserInputException($"training.final_probe needs labelled train and val splits; data.source '{cfg.Data.Source}' has none (set data.val_fraction?)");
        int limit = cfg.Eval.ProbeLimit;

        var (lin, knn) = Probe(trained, train, val, cfg, device, limit, progress, "final probe");
        manual_seed(cfg.Experiment.Seed + 7919);
        var randomModel = cfg.Model.Clone();
        randomModel.ZeroInitResidual = false;
        using var random = BackboneFactory.Create(randomModel, cfg.Augment.Views[0].CropSize, device: device);
        var (rLin, rKnn) = Probe(random, train, val, cfg, device, limit, progress, "final probe (random init)");

        var report = new Report(lin, rLin, knn, rKnn, Math.Min(train.Count, limit > 0 ? limit : int.MaxValue), val.Count);
        var json = new Dictionary<string, object>
        {
            ["probe"] = "linear (standardised features, softmax regression)",
            ["probe_top1"] = Math.Round(lin, 2),
            ["random_init_top1"] = Math.Round(rLin, 2),
            ["knn_top1"] = Math.Round(knn, 2),
            ["random_init_knn_top1"] = Math.Round(rKnn, 2),
            ["knn_k"] = 20,
            ["train_samples"] = report.TrainSamples,
            ["val_samples"] = report.ValSamples,
        };
        File.WriteAllText(Path.Combine(runDir, "final_probe.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return report;
    }

    private static (double Linear, double Knn) Probe(Backbone backbone, IDataSplit train, IDataSplit val, RunConfig cfg, Device device, int limit,
        IProgressSink? progress, string name)
    {
        using var scope = NewDisposeScope();
        using var tr = FeatureExtractor.Extract(backbone, train, cfg, device, limit: limit, progress: progress, label: $"{name}: features train");
        using var va = FeatureExtractor.Extract(backbone, val, cfg, device, progress: progress, label: $"{name}: features val");
        var knn = KnnClassifier.Evaluate(tr.X, tr.Y, va.X, va.Y, [20], 0.07)[0].Top1;
        var lin = LinearProbe.FitAndEvaluate(tr.X, tr.Y, va.X, va.Y, seed: cfg.Experiment.Seed).Top1;
        return (lin, knn);
    }
}
