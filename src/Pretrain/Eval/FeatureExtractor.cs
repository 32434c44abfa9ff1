using Pretrain.Augment;
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

    public static Features Extract(Backbone backbone, IImageDataset dataset, RunConfig cfg, Device device, int batchSize = 256, int limit = 0)
    {
        var augmenter = new BatchAugmenter(cfg.Augment);
        var wasTraining = backbone.training;
        backbone.eval();
        var xs = new List<Tensor>();
        var ys = new List<long>();
        try
        {
            using var noGrad = no_grad();
            foreach (var batch in new EvalLoader(dataset, cfg, batchSize, limit).Batches())
            {
                using var scope = NewDisposeScope();
                var x = augmenter.Normalize(augmenter.ToTensor(batch.Pixels, batch.Count, batch.Size, device));
                xs.Add(scope.MoveToOuter(backbone.call(x).to(float32)));
                ys.AddRange(batch.Labels);
            }
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
