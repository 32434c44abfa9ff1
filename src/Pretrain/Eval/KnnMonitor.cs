using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// The k-NN monitor during pretraining (eval.knn_every_epochs): features of the labelled train split
/// (its first eval.probe_limit samples when set) and of the val split, weighted k-NN for every
/// eval.knn_k at eval.knn_temperature. Returns metrics named for metrics.jsonl: `knn_top1`, `knn_top5`
/// (the headline k: 20 when listed, else the first), and `knn_top1_k{k}`, `knn_top5_k{k}` for every k.
/// The backbone goes through eval mode and is handed back in the mode it came in; no RNG is consumed,
/// so a monitored run stays bit-identical to an unmonitored one. It works on the splits the run opened.
/// </summary>
public sealed class KnnMonitor
{
    private readonly DataSplits _splits;

    public KnnMonitor(DataSplits splits)
    {
        if (!splits.Labelled)
            throw new UserInputException($"eval.knn_every_epochs: the k-NN monitor needs labelled train and val splits; {splits.Train.Description} has none (set data.val_fraction, or 0 to turn the monitor off)");
        _splits = splits;
    }

    public IReadOnlyDictionary<string, double> Run(Backbone backbone, RunConfig cfg, Device device, IProgressSink? progress = null)
    {
        var splits = _splits;
        using var scope = NewDisposeScope();
        using var train = FeatureExtractor.Extract(backbone, splits.Train, cfg, device, cfg.Training.BatchSize, cfg.Eval.ProbeLimit,
            progress: progress, label: "k-NN monitor: features train");
        using var val = FeatureExtractor.Extract(backbone, splits.Val!, cfg, device, cfg.Training.BatchSize, progress: progress, label: "k-NN monitor: features val");
        var results = KnnClassifier.Evaluate(train.X, train.Y, val.X, val.Y, cfg.Eval.KnnK, cfg.Eval.KnnTemperature, progress: progress);
        var headline = results.FirstOrDefault(r => r.K == 20) ?? results[0];
        var metrics = new Dictionary<string, double> { ["knn_top1"] = headline.Top1, ["knn_top5"] = headline.Top5 };
        foreach (var r in results)
        {
            metrics[$"knn_top1_k{r.K}"] = r.Top1;
            metrics[$"knn_top5_k{r.K}"] = r.Top5;
        }
        return metrics;
    }
}
