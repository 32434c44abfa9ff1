using Pretrain.Augment;
using Pretrain.Common;
using Pretrain.Composition;
using Pretrain.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Training;

/// <summary>Issue #15 GPU readiness on the CPU: loss terms reach the host only at the steps that need them,
/// a non-finite loss between those is still caught (later, and before any checkpoint), the read schedule
/// does not touch the numerics, and staged batches give the views the direct path gives.</summary>
[Collection(TorchGlobalState.Name)]
public class HostSyncTests
{
    [Fact]
    public void TermsAreReadAtLogEpochEndCheckpointAndLastStepsOnly()
    {
        var cfg = TinyRun.Config();
        cfg.Training.LogEverySteps = 5;
        cfg.Training.CheckpointEverySteps = 4;
        cfg.Training.MaxSteps = 13;
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        Assert.Equal(6, t.Plan.StepsPerEpoch);
        var reading = Enumerable.Range(1, 13).Where(s => t.ReadsValues(s)).ToArray();
        Assert.Equal([4, 5, 6, 8, 10, 12, 13], reading);
        var first = t.TrainStep(t.Loader.Batch(0, 0), 0);   // step 1 reads nothing
        Assert.False(first.ContainsKey("loss"));
        Assert.True(first.ContainsKey("lr"));
    }

    [Fact]
    public void TheReadScheduleLeavesTheNumericsBitIdentical()
    {
        var every = TinyRun.Config();
        var sparse = TinyRun.Config();
        sparse.Training.LogEverySteps = 5;
        using var a = TinyRun.Train(every, TinyRun.TempDir(), 9);
        using var b = TinyRun.Train(sparse, TinyRun.TempDir(), 9);
        var x = TinyRun.Snapshot(a);
        var y = TinyRun.Snapshot(b);
        foreach (var (k, v) in x) Assert.True(v.AsSpan().SequenceEqual(y[k]), $"{k} differs");
    }

    [Fact]
    public void ANonFiniteLossBetweenReadsIsReportedAtTheNextReadWithItsOwnStepAndNoCheckpointAfterIt()
    {
        var dir = TinyRun.TempDir();
        using (TinyRun.Train(TinyRun.Config(), dir, 2)) { }
        var latest = Path.Combine(dir, "checkpoints", "latest.ckpt");
        var before = File.ReadAllBytes(latest);

        var bad = TinyRun.Config();
        bad.Augment.Mean = [double.NaN, 0.0, 0.0];      // NaN inputs → NaN loss from step 2 on
        bad.Training.LogEverySteps = 4;
        bad.Training.MaxSteps = 5;
        using var t = RunBuilder.Trainer(bad, dir, TinyRun.Log, CancellationToken.None);
        t.Resume(latest);
        var e = Assert.Throws<NonFiniteLossException>(() => t.Run());
        Assert.Equal(2, e.Step);              // the first bad step (its terms kept on the device)
        Assert.Equal(3, e.DetectedAt);        // the step ending at 4 reads them
        Assert.Contains("non-finite loss at step 2: loss=NaN", e.Message);
        Assert.Contains("loss_moco=NaN", e.Message);
        Assert.Contains("seen at step 3", e.Message);
        Assert.Equal(before, File.ReadAllBytes(latest));
    }

    [Fact]
    public void AStagedBatchGivesTheViewsOfTheDirectPath()
    {
        var cfg = TinyRun.Config();
        cfg.Augment.Stage = "device";
        var loader = RunBuilder.Loader(cfg, RunBuilder.Data(cfg).Train, CPU, TinyRun.Log);
        var raw = loader.Batch(0, 1);
        var augmenter = new BatchAugmenter(cfg.Augment);
        using var staged = BatchAugmenter.Stage(raw, CPU);
        Assert.Equal(raw.Views.Length, staged.ViewCount);
        for (int i = 0; i < raw.Views.Length; i++)
        {
            var direct = augmenter.Apply(raw.Views[i], CPU);
            var viaStage = augmenter.Apply(staged, i);
            Assert.Equal(direct.shape, viaStage.shape);
            Assert.True(direct.equal(viaStage).all().item<bool>(), $"view {i} differs");
        }
    }

    [Fact]
    public void CopiesPinOnCudaOnlyAndAreFreeOnTheCpu()
    {
        Assert.True(HostToDevice.Pinned(new Device(DeviceType.CUDA, 0)));
        Assert.False(HostToDevice.Pinned(CPU));
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        var t = HostToDevice.From(data, [2, 3], CPU);
        Assert.Equal(new long[] { 2, 3 }, t.shape);
        Assert.Equal(data, t.data<float>().ToArray());
        var host = tensor(data);
        var same = HostToDevice.Copy(host, CPU);
        host[0] = 10f;
        Assert.Equal(10f, same[0].item<float>());   // the CPU path shares the storage: no copy
    }
}
