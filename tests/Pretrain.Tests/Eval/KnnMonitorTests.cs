using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Eval;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Eval;

public class KnnMonitorTests
{
    [Fact]
    public void MonitorReportsEveryKAndTheHeadlineKOnTheLimitedTrainSplit()
    {
        var cfg = EvalFixtures.TinyResNet();
        cfg.Eval.KnnK = [1, 20, 50];
        cfg.Eval.ProbeLimit = 40;
        using var backbone = EvalFixtures.Backbone(cfg);
        backbone.train();
        var before = EvalFixtures.Bytes(backbone);
        var monitor = new KnnMonitor(DataSplits.Open(cfg.Data, cfg.Experiment.Seed));
        var metrics = monitor.Run(backbone, cfg, CPU);
        Assert.True(backbone.training);
        foreach (var (k, v) in EvalFixtures.Bytes(backbone)) Assert.True(v.AsSpan().SequenceEqual(before[k]), $"{k} changed");

        var splits = DataSplits.Open(cfg.Data, cfg.Experiment.Seed);
        using var train = FeatureExtractor.Extract(backbone, splits.Train, cfg, CPU, limit: 40);
        using var val = FeatureExtractor.Extract(backbone, splits.Val!, cfg, CPU);
        Assert.Equal(40, train.X.shape[0]);
        var expected = KnnClassifier.Evaluate(train.X, train.Y, val.X, val.Y, [1, 20, 50], 0.07);
        Assert.Equal(8, metrics.Count);
        Assert.Equal(expected[1].Top1, metrics["knn_top1"]);
        Assert.Equal(expected[1].Top5, metrics["knn_top5"]);
        Assert.Equal(expected[0].Top1, metrics["knn_top1_k1"]);
        Assert.Equal(expected[2].Top5, metrics["knn_top5_k50"]);
        Assert.Equal(metrics, monitor.Run(backbone, cfg, CPU));   // same again: nothing but the splits is kept
    }
}
