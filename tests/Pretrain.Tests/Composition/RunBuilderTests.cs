using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Tests.Training;
using Xunit;

namespace Pretrain.Tests.Composition;

[Collection(TorchGlobalState.Name)]
public class RunBuilderTests
{
    [Fact]
    public void TheSameConfigBuildsTheSameInitialStateEveryTime()
    {
        var cfg = TinyRun.Config(sdmp: true);
        using var a = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var first = TinyRun.Snapshot(a);
        using var b = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var second = TinyRun.Snapshot(b);
        Assert.Equal(first.Keys.Order(), second.Keys.Order());
        foreach (var (k, v) in first) Assert.True(v.AsSpan().SequenceEqual(second[k]), $"{k} differs between two builds");
    }

    [Fact]
    public void TheKnnMonitorOnUnlabelledDataFailsBeforeAnythingIsBuilt()
    {
        var cfg = TinyRun.Config();
        cfg.Data.Synthetic.ValSize = 0;
        cfg.Eval.KnnEveryEpochs = 1;
        var e = Assert.Throws<UserInputException>(() => RunBuilder.TrainingData(cfg));
        Assert.StartsWith("eval.knn_every_epochs: the k-NN monitor needs labelled train and val splits", e.Message);
    }

    [Fact]
    public void TrainingDataNeedsOneFullBatch()
    {
        var cfg = TinyRun.Config();
        cfg.Training.BatchSize = 512;   // 96 train images
        Assert.ThrowsAny<Exception>(() => RunBuilder.TrainingData(cfg));
    }

    [Fact]
    public void BenchStepKeepsThePhotometricOpsInTheStepWithoutChangingTheConfig()
    {
        var cfg = TinyRun.Config(sdmp: false);
        cfg.Logging.Tensorboard = true;
        var dir = TinyRun.TempDir();
        var r = StepBench.Run(cfg, steps: 2, warmup: 1, TinyRun.Log, dir);
        Assert.Equal(2, r.Steps);
        Assert.True(r.MedianMsPerStep > 0);
        Assert.Equal("auto", cfg.Augment.Stage);
        Assert.True(cfg.Logging.Tensorboard);
        Assert.False(Directory.Exists(Path.Combine(dir, "tb")));
    }

    [Fact]
    public void ThreadsAreTheConfiguredCountElseTheCoresLeftByTheLoaderWorkers()
    {
        static RunConfig With(int threads, int workers) => new() { Experiment = new ExperimentConfig { Threads = threads }, Data = new DataConfig { Workers = workers } };
        Assert.Equal(3, RunBuilder.Threads(With(3, 8)));
        Assert.Equal(Math.Max(1, Environment.ProcessorCount - 1), RunBuilder.Threads(With(0, 1)));
        Assert.Equal(1, RunBuilder.Threads(With(0, 1000)));
    }
}
