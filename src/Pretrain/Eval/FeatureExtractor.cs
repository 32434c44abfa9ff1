using Pretrain.Augment;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>Frozen-backbone features of a labelled split: eval transform (resize, center crop,
/// normalise), backbone in eval mode (BatchNorm statistics untouched), no gradients.</summary>
public static class FeatureExtractor
{
    public sealed record Features(Tensor X, Tensor Y) : IDisposable
    {
        public void Dispose()
        {
            X.Dispose();
            Y.Dispose();
        }
    }

    /// <param name="limit">at most this many samples, stratified by class (<see cref="StratifiedSubset"/>); 0 = all.</param>
    /// <param name="features">backbone → feature rows; default the backbone's pooled feature.</param>
    /// <param name="progress">where images done / rate / ETA go (null: nowhere); only observes.</param>
    /// <param name="label">the task's name in progress lines, e.g. "features train".</param>
    /// <param name="filter">the eval resize kernel (<see cref="LinearEvalProtocol.EvalResizeFilter"/>).</param>
    public static Features Extract(Backbone backbone, IDataSplit split, RunConfig cfg, Device device, int batchSize = 256, int limit = 0,
        Func<Tensor, Tensor>? features = null, IProgressSink? progress = null, string label = "features",
        ResampleFilter filter = ResampleFilter.Bicubic)
    {
        split = StratifiedSubset.Of(split, limit, cfg.Experiment.Seed);
        var reporter = new ProgressReporter(progress, label, split.Count);
        features ??= x => backbone.call(x);
        var augmenter = new BatchAugmenter(cfg.Augment);
        var wasTraining = backbone.training;
        backbone.eval();
        var xs = new List<Tensor>();
        var ys = new List<long>();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in EvalLoader.FromConfig(split, cfg, batchSize, filter: filter).Batches())
            {
                using var scope = NewDisposeScope();
                var x = augmenter.Normalize(augmenter.ToTensor(batch.Pixels, batch.Size, batch.ImageSize, device));
                xs.Add(scope.MoveToOuter(features(x).to(float32)));
                ys.AddRange(batch.Labels);
                reporter.Advance(batch.Size);
            }
            reporter.Finish();
            var result = new Features(cat(xs), tensor(ys.ToArray(), device: device));
            return result;
        }
        finally
        {
            foreach (var t in xs) t.Dispose();
            backbone.train(wasTraining);
        }
    }
}
