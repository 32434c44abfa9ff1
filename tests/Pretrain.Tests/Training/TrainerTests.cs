using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Training;

[Collection(TorchGlobalState.Name)]
public class TrainerTests
{
    [Fact]
    public void StoppingAndResumingGivesBitIdenticalWeights()
    {
        // 6 steps per epoch; stop at 4 (mid-epoch), resume, continue to 9 (into the second epoch).
        var full = TinyRun.TempDir();
        using var a = TinyRun.Train(TinyRun.Config(), full, 9);
        var expected = TinyRun.Snapshot(a);

        var split = TinyRun.TempDir();
        using (var b = TinyRun.Train(TinyRun.Config(), split, 4)) Assert.Equal(4, b.Step);
        using var c = TinyRun.Train(TinyRun.Config(), split, 9, resume: "auto");
        Assert.Equal(9, c.Step);
        var got = TinyRun.Snapshot(c);
        Assert.Equal(expected.Keys.OrderBy(k => k), got.Keys.OrderBy(k => k));
        foreach (var (k, v) in expected) Assert.True(v.AsSpan().SequenceEqual(got[k]), $"tensor {k} differs after resume");
    }

    [Fact]
    public void AutoResumeSkipsADamagedLatestCheckpoint()
    {
        var dir = TinyRun.TempDir();
        var cfg = TinyRun.Config(sdmp: false);
        cfg.Training.CheckpointEveryEpochs = 1;
        using (var t = TinyRun.Train(cfg, dir, 8)) { }                     // epoch-0000 at step 6, latest at 8
        var latest = Path.Combine(dir, "checkpoints", "latest.ckpt");
        var bytes = File.ReadAllBytes(latest);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(latest, bytes);

        var cfg2 = TinyRun.Config(sdmp: false);
        cfg2.Training.MaxSteps = 8;
        using var resumed = RunBuilder.Trainer(cfg2, dir, TinyRun.Log, CancellationToken.None);
        var path = ResumeTarget.Resolve("auto", dir, cfg2, TinyRun.Log);
        Assert.NotNull(path);
        Assert.DoesNotContain("latest", Path.GetFileName(path!));
        resumed.Resume(path!);
        Assert.Equal(6, resumed.Step);
    }

    [Fact]
    public void ResumeRefusesADifferentModel()
    {
        var dir = TinyRun.TempDir();
        using (TinyRun.Train(TinyRun.Config(), dir, 2)) { }
        var other = TinyRun.Config();
        other.Model.EmbedDim = 48;
        using var t = RunBuilder.Trainer(other, dir, TinyRun.Log, CancellationToken.None);
        var e = Assert.Throws<UserInputException>(() => t.Resume(ResumeTarget.Resolve("auto", dir, other, TinyRun.Log)!));
        Assert.Contains("model", e.Message);
        Assert.Contains("embed_dim", e.Message);
        Assert.Contains("refusing to resume", e.Message);
    }

    [Fact]
    public void ResumeRefusesAMovedScheduleUnlessAllowed()
    {
        var dir = TinyRun.TempDir();
        using (TinyRun.Train(TinyRun.Config(), dir, 2)) { }
        var latest = Path.Combine(dir, "checkpoints", "latest.ckpt");
        var longer = TinyRun.Config();
        longer.Training.Epochs += 3;
        using (var t = RunBuilder.Trainer(longer, dir, TinyRun.Log, CancellationToken.None))
        {
            var e = Assert.Throws<UserInputException>(() => t.Resume(latest));
            Assert.Contains($": training.epochs was {longer.Training.Epochs - 3} in the checkpoint's run and is {longer.Training.Epochs} now", e.Message);
            Assert.Contains("--allow-schedule-change", e.Message);
            Assert.Equal(0, t.Step);
        }
        using (var t = RunBuilder.Trainer(longer, dir, TinyRun.Log, CancellationToken.None))
        {
            t.Resume(latest, allowScheduleChange: true);
            Assert.Equal(2, t.Step);
        }
        // Keys outside the schedule (max_steps: where to stop, not the schedule's length) need no flag.
        var capped = TinyRun.Config();
        capped.Training.MaxSteps = 3;
        using (var t = RunBuilder.Trainer(capped, dir, TinyRun.Log, CancellationToken.None)) t.Resume(latest);
        Assert.Equal(["optimizer.warmup_epochs"],
            Pretrain.Checkpoints.ResumeCompatibility.ScheduleChanges(TinyRun.Config(), WithWarmup(TinyRun.Config(), 7)).Select(c => c.Key));
    }

    static RunConfig WithWarmup(RunConfig c, double w) { c.Optimizer.WarmupEpochs = w; return c; }

    [Fact]
    public void NonFiniteLossStopsBeforeTouchingWeightsOrCheckpoints()
    {
        var dir = TinyRun.TempDir();
        using (TinyRun.Train(TinyRun.Config(), dir, 2)) { }
        var latest = Path.Combine(dir, "checkpoints", "latest.ckpt");
        var before = File.ReadAllBytes(latest);

        var bad = TinyRun.Config();
        bad.Augment.Mean = [double.NaN, 0.0, 0.0];      // NaN inputs → NaN loss
        bad.Training.MaxSteps = 4;
        using var t = RunBuilder.Trainer(bad, dir, TinyRun.Log, CancellationToken.None);
        t.Resume(latest);
        var weightsBefore = TinyRun.Snapshot(t);
        var e = Assert.Throws<NonFiniteLossException>(() => t.Run());
        Assert.Equal(2, e.Step);
        Assert.Contains("step 2", e.Message);
        Assert.Contains("loss_moco", e.Message);
        Assert.Equal(before, File.ReadAllBytes(latest));
        // The optimizer never stepped: trained parameters are unchanged. (The bad forward itself may have
        // touched BN running stats and the EMA encoder; they are never checkpointed, the run stops here.)
        var weightsAfter = TinyRun.Snapshot(t);
        var trained = t.Method.Online.named_parameters().Select(p => "query." + p.name).ToHashSet();
        Assert.NotEmpty(trained);
        foreach (var k in trained) Assert.True(weightsBefore[k].AsSpan().SequenceEqual(weightsAfter[k]), $"{k} changed");
    }

    [Fact]
    public void AResumeDropsTheMetricsRowsLoggedAfterItsCheckpoint()
    {
        // A process killed after logging steps 5 and 6 but before a checkpoint past step 4: the resumed
        // run logs steps 5 and 6 again, so the rows after step 4 must go (each step once).
        var dir = TinyRun.TempDir();
        var cfg = TinyRun.Config(sdmp: false);
        using (TinyRun.Train(cfg, dir, 4)) { }
        var metrics = Path.Combine(dir, "metrics.jsonl");
        File.AppendAllLines(metrics, ["{\"step\":5,\"epoch\":0,\"loss\":1.0}", "{\"step\":6,\"epoch\":0,\"loss\":1.0}"]);
        using (TinyRun.Train(cfg, dir, 8, resume: "auto")) { }
        var rows = File.ReadLines(metrics).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), rows.Select(r => r.GetProperty("step").GetInt64()));
        Assert.NotEqual(1.0, rows[4].GetProperty("loss").GetDouble());   // step 5 is the resumed run's row
    }

    [Fact]
    public void AutoResumeWithoutACheckpointDropsTheRowsOfTheKilledRunBeforeStartingOver()
    {
        // The fault suite's kill -9 after ~1.3 s: steps 1-5 logged, killed before the step-5 checkpoint
        // was renamed into place. `--resume auto` finds no checkpoint and starts at step 1 again.
        var dir = TinyRun.TempDir();
        var cfg = TinyRun.Config(sdmp: false);
        Directory.CreateDirectory(dir);
        var metrics = Path.Combine(dir, "metrics.jsonl");
        File.WriteAllLines(metrics, Enumerable.Range(1, 5).Select(i => $"{{\"step\":{i},\"epoch\":0,\"loss\":1.0}}"));
        using (TinyRun.Train(cfg, dir, 6, resume: "auto")) { }
        var rows = File.ReadLines(metrics).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(Enumerable.Range(1, 6).Select(i => (long)i), rows.Select(r => r.GetProperty("step").GetInt64()));
        Assert.All(rows, r => Assert.NotEqual(1.0, r.GetProperty("loss").GetDouble()));   // all the new run's rows
    }

    [Fact]
    public void AResumeWritesATensorboardPurgeRecordBetweenTheTwoRunsFiles()
    {
        var dir = TinyRun.TempDir();
        var cfg = TinyRun.Config(sdmp: false);
        cfg.Logging.Tensorboard = true;
        cfg.Training.LogEverySteps = 1;
        using (TinyRun.Train(cfg, dir, 4)) { }
        using (TinyRun.Train(cfg, dir, 6, resume: "auto")) { }
        // TensorBoard reads the files in name order: crashed run, purge record, resumed run.
        var files = Directory.GetFiles(Path.Combine(dir, "tb"), "events.out.tfevents.*").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, files.Length);
        Assert.EndsWith(".purge", files[1]);
        var purge = Pretrain.Training.TensorboardPurge.Read(files[1]);
        Assert.Equal("brain.Event:2", purge[0].FileVersion);
        Assert.Equal(Tensorboard.SessionLog.Types.SessionStatus.Start, purge[1].SessionLog.Status);
        Assert.Equal(5, purge[1].Step);   // the first step the resumed run logs again
        // The resumed run's scalars all come after the record, from step 5 on.
        var resumed = Pretrain.Training.TensorboardPurge.Read(files[2]).Where(e => e.Summary is not null).ToList();
        Assert.NotEmpty(resumed);
        Assert.Equal(5, resumed.Min(e => e.Step));
        Assert.Equal(4, Pretrain.Training.TensorboardPurge.Read(files[0]).Where(e => e.Summary is not null).Max(e => e.Step));
    }

    [Fact]
    public void EveryStepEndsWithAGen0CollectionThatFreesTheStepsUndisposedScalars()
    {
        // TorchSharp's Scalars are freed only by their finalizer (NativeGarbage): without a collection per
        // step they stay live for hundreds of steps and fragment the native heap.
        var cfg = TinyRun.Config();
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var raw = t.Loader.Epoch(0, 0).First();
        t.TrainStep(raw, 0);
        var scalar = MakeUndisposedScalar();
        int before = GC.CollectionCount(0);
        for (int i = 0; i < 3; i++) t.TrainStep(raw, 0);
        Assert.True(GC.CollectionCount(0) - before >= 3, $"{GC.CollectionCount(0) - before} gen-0 collections in 3 steps");
        GC.WaitForPendingFinalizers();
        Assert.False(scalar.IsAlive, "a Scalar dropped before the steps is still alive after them");
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference MakeUndisposedScalar() => new(TorchSharp.ScalarExtensionMethods.ToScalar(0.5));

    [Fact]
    public void StepsDoNotLeakTensors()
    {
        var cfg = TinyRun.Config();
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var raw = t.Loader.Epoch(0, 0).First();
        for (int i = 0; i < 3; i++) t.TrainStep(raw, 0);
        var live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) t.TrainStep(raw, 0);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void AShortRunLowersTheLoss()
    {
        var cfg = TinyRun.Config();
        cfg.Training.Epochs = 10;
        cfg.Optimizer.Lr = 3e-3;
        using var t = RunBuilder.Trainer(cfg, TinyRun.TempDir(), TinyRun.Log, CancellationToken.None);
        var raw = t.Loader.Epoch(0, 0).Take(2).ToList();
        var losses = new List<double>();
        for (int i = 0; i < 40; i++) losses.Add(t.TrainStep(raw[i % 2], 0)["loss"]);
        Assert.True(losses.TakeLast(6).Average() < 0.9 * losses.Take(6).Average(),
            $"loss did not fall: first {losses.Take(6).Average():F4}, last {losses.TakeLast(6).Average():F4}");
    }
}
