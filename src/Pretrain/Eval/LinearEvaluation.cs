using System.Text.Json.Nodes;
using Pretrain.Augment;
using Pretrain.Checkpoints;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Models;
using Serilog;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// `pretrain linear-eval`: a linear classifier on the frozen backbone (eval mode, no gradients, BatchNorm
/// statistics untouched; proved at the end by a checksum of every parameter and buffer). Val features
/// are extracted once (the backbone does not change); the classifier trains either on features cached
/// once without augmentation (fast) or on RandomResizedCrop + flip batches pushed through the backbone
/// every epoch (full). After every epoch the classifier is checkpointed under OUT/linear_eval/.
/// Progress (<see cref="Options.Progress"/>, optional): the feature extractions, and the batches of each
/// epoch in full mode.
/// </summary>
public static class LinearEvaluation
{
    public const string FolderName = "linear_eval";

    public sealed record Options(string OutputDir, string CheckpointName, bool Resume, ILogger Log, CancellationToken Stop = default,
        IProgressSink? Progress = null);

    public static LinearEvalReport Run(Backbone backbone, RunConfig cfg, DataSplits splits, Device device, Options o)
    {
        var train = splits.Train;
        var val = splits.Val;
        if (val is null || train.Classes.Count == 0 || val.Classes.Count == 0)
            throw new UserInputException($"linear-eval needs labelled train and val splits; data.source '{cfg.Data.Source}' has none here (set data.val_fraction, or data.val_path)");
        var protocol = LinearEvalProtocol.Resolve(cfg, train.Count);
        int classes = Math.Max(train.Classes.Count, val.Classes.Count);

        var fingerprint = BackboneFingerprint.Take(backbone);
        bool wasTraining = backbone.training;
        backbone.eval();
        try
        {
            var features = protocol.Features(backbone);
            o.Log.Information("linear-eval: {Train} train / {Val} val samples; {Summary:l}", train.Count, val.Count, protocol.Summary);
            using var valSet = FeatureExtractor.Extract(backbone, val, cfg, device, protocol.BatchSize, features: features,
                progress: o.Progress, label: "features val", filter: protocol.EvalResizeFilter);
            int dim = (int)valSet.X.shape[1];
            var settings = Settings(protocol, cfg, dim, classes, train.Count);
            using var training = new LinearClassifierTraining(dim, classes, protocol, cfg.Experiment.Seed, device);
            var store = new CheckpointStore(Path.Combine(o.OutputDir, FolderName), keepLast: 2);
            StartOrResume(training, store, settings, o);

            bool completed;
            if (protocol.Mode == LinearModeKind.Fast)
            {
                using var trainSet = FeatureExtractor.Extract(backbone, train, cfg, device, protocol.BatchSize, features: features,
                    progress: o.Progress, label: "features train", filter: protocol.EvalResizeFilter);
                completed = Epochs(training, e => training.CachedBatches(trainSet.X, trainSet.Y, e), valSet, store, settings, o);
            }
            else
            {
                var loader = new TrainLoader(train, TrainLoaderOptions(cfg, protocol), m => o.Log.Warning("{Data}", m));
                var augmenter = new BatchAugmenter(cfg.Augment);
                long perEpoch = (long)loader.BatchesPerEpoch * protocol.BatchSize;
                completed = Epochs(training, e => new ProgressReporter(o.Progress, $"linear-eval epoch {e + 1}/{protocol.Epochs}", perEpoch)
                    .Observe(AugmentedBatches(loader, augmenter, features, device, e), b => b.Y.shape[0]), valSet, store, settings, o);
            }
            backbone.train(wasTraining);
            fingerprint.Verify(backbone, "linear-eval");
            var report = new LinearEvalReport(protocol, training.History.ToArray(), dim, classes, train.Count, (int)valSet.Y.shape[0], o.CheckpointName, completed);
            report.Write(o.OutputDir);
            return report;
        }
        finally
        {
            backbone.train(wasTraining);
        }
    }

    /// <summary>The epochs left, on cached or augmented batches; false when stopped early (checkpoint written).</summary>
    public static bool Epochs(LinearClassifierTraining training, Func<int, IEnumerable<(Tensor X, Tensor Y)>> batches,
        FeatureExtractor.Features val, CheckpointStore? store, JsonObject settings, Options o)
    {
        for (int epoch = training.EpochsDone; epoch < training.Protocol.Epochs; epoch++)
        {
            double loss = training.TrainEpoch(batches(epoch), epoch, out double lr);
            var (top1, top5) = training.Evaluate(val.X, val.Y);
            training.Record(new LinearEpoch(epoch + 1, top1, top5, loss, lr));
            store?.SaveEpoch(epoch + 1, training.ToCheckpoint(settings));
            o.Log.Information("linear-eval epoch {Epoch}/{Epochs}: loss {Loss:F4}, lr {Lr:E2}, val top-1 {Top1:F2}, top-5 {Top5:F2}",
                epoch + 1, training.Protocol.Epochs, loss, lr, top1, top5);
            if (o.Stop.IsCancellationRequested && epoch + 1 < training.Protocol.Epochs)
            {
                o.Log.Warning("linear-eval stopped after epoch {Epoch}; continue with --resume", epoch + 1);
                return false;
            }
        }
        return true;
    }

    private static void StartOrResume(LinearClassifierTraining training, CheckpointStore store, JsonObject settings, Options o)
    {
        var existing = store.ResolveAuto(w => o.Log.Warning("{Warning}", w));
        if (!o.Resume)
        {
            if (existing is not null)
                throw new UserInputException($"{store.Directory}: already holds a linear evaluation; continue it with --resume, or pick another --output");
            return;
        }
        if (existing is null) throw new UserInputException($"--resume: no linear-eval checkpoint in {store.Directory}");
        var ckpt = CheckpointStore.Load(existing);
        try { training.Restore(ckpt, settings, existing); }
        finally { ckpt.DisposeTensors(); }
        o.Log.Information("linear-eval resumed from {Path} after epoch {Epoch}", existing, training.EpochsDone);
    }

    /// <summary>What must match for a resume to continue exactly.</summary>
    private static JsonObject Settings(LinearEvalProtocol p, RunConfig cfg, int dim, int classes, int trainSamples) => new()
    {
        ["protocol"] = p.ProtocolName, ["mode"] = p.ModeName, ["epochs"] = p.Epochs, ["batch_size"] = p.BatchSize, ["base_lr"] = p.BaseLr,
        ["n_last_blocks"] = p.NLastBlocks, ["avgpool_patch_tokens"] = p.AvgpoolPatchTokens, ["backbone"] = p.Backbone,
        ["feature_dim"] = dim, ["num_classes"] = classes, ["train_samples"] = trainSamples, ["seed"] = cfg.Experiment.Seed,
        ["image_size"] = cfg.Data.ImageSize,
    };

    /// <summary>One RandomResizedCrop (0.08, 1) + flip view at data.image_size, no photometric ops (MoCo v3 /
    /// DINO linear training transform); the incomplete last batch is dropped.</summary>
    private static TrainLoaderOptions TrainLoaderOptions(RunConfig cfg, LinearEvalProtocol p) => new()
    {
        BatchSize = p.BatchSize,
        Seed = cfg.Experiment.Seed,
        Views = [new ViewConfig
        {
            Name = "linear", Count = 1, CropSize = cfg.Data.ImageSize, Scale = [0.08, 1.0], Interpolation = "bilinear", FlipP = 0.5,
            JitterP = 0, GrayscaleP = 0, BlurP = 0, SolarizeP = 0,
        }],
        Workers = cfg.Data.Workers,
        Prefetch = cfg.Data.Prefetch,
        FailOnError = cfg.Data.OnErrorPolicy == OnErrorPolicy.Fail,
        ShuffleBuffer = cfg.Data.ShuffleBuffer,
    };

    private static IEnumerable<(Tensor X, Tensor Y)> AugmentedBatches(TrainLoader loader, BatchAugmenter augmenter, Func<Tensor, Tensor> features, Device device, int epoch)
    {
        foreach (var raw in loader.Epoch(epoch))
        {
            Tensor x, y;
            using (var scope = NewDisposeScope())
            using (no_grad())
            {
                x = scope.MoveToOuter(features(augmenter.Apply(raw.Views[0], device)).to(float32));
                y = scope.MoveToOuter(tensor(raw.Labels, device: device));
            }
            yield return (x, y);
        }
    }
}
