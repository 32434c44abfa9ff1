using System.Text.Json.Nodes;
using System.Text.Json;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// `pretrain knn-eval`: frozen features of the whole labelled train split (the memory bank) and of the
/// val split, weighted k-NN for every eval.knn_k at eval.knn_temperature, written as `knn_eval.json`:
/// <c>{"temperature": 0.07, "results": {"20": {"top1": .., "top5": ..}, ..}, ...}</c>.
/// </summary>
public static class KnnEvaluation
{
    public const string FileName = "knn_eval.json";

    public static FeatureSet ExtractFeatures(Backbone backbone, RunConfig cfg, DataSplits splits, Device device, int batchSize = 256,
        IProgressSink? progress = null)
    {
        if (!splits.Labelled)
            throw new UserInputException($"knn-eval needs labelled train and val splits; data.source '{cfg.Data.Source}' has none here (set data.val_fraction, or data.val_path)");
        var fingerprint = BackboneFingerprint.Take(backbone);
        var train = FeatureExtractor.Extract(backbone, splits.Train, cfg, device, batchSize, progress: progress, label: "features train");
        var val = FeatureExtractor.Extract(backbone, splits.Val!, cfg, device, batchSize, progress: progress, label: "features val");
        fingerprint.Verify(backbone, "knn-eval");
        return new FeatureSet(train.X, train.Y, val.X, val.Y, Math.Max(splits.Train.Classes.Count, splits.Val!.Classes.Count));
    }

    public static IReadOnlyList<KnnClassifier.Result> Evaluate(FeatureSet features, RunConfig cfg, IProgressSink? progress = null) =>
        KnnClassifier.Evaluate(features.TrainX, features.TrainY, features.ValX, features.ValY, cfg.Eval.KnnK, cfg.Eval.KnnTemperature, features.NumClasses,
            progress: progress);

    public static JsonObject Report(IReadOnlyList<KnnClassifier.Result> results, double temperature, FeatureSet features, string source, string backbone)
    {
        var byK = new JsonObject();
        foreach (var r in results)
            byK[r.K.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject { ["top1"] = Math.Round(r.Top1, 4), ["top5"] = Math.Round(r.Top5, 4) };
        return new JsonObject
        {
            ["source"] = source,
            ["backbone"] = backbone,
            ["temperature"] = temperature,
            ["train_samples"] = features.TrainX.shape[0],
            ["val_samples"] = features.ValX.shape[0],
            ["feature_dim"] = features.TrainX.shape[1],
            ["num_classes"] = features.NumClasses,
            ["results"] = byK,
        };
    }

    public static string Write(string dir, JsonObject report)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, FileName);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
