using Pretrain.Checkpoints;
using Pretrain.Composition;
using Pretrain.Methods;
using Pretrain.Tests.Training;
using Pretrain.Training;
using Xunit;

namespace Pretrain.Tests.Methods;

[Collection(TorchGlobalState.Name)]
public class DinoResumeTests
{
    private static Trainer Train(string dir, long maxSteps, string? resume = null) =>
        TinyRun.Train(DinoTinyRun.Config(sdmp: true), dir, maxSteps, resume);

    [Fact]
    public void StoppingAndResumingGivesBitIdenticalStudentTeacherAndCenter()
    {
        // 6 steps per epoch; stop at 4 (mid-epoch, last layer still frozen), resume, continue to 9
        // (past the unfreeze and into the teacher temperature warmup's second epoch).
        var full = TinyRun.TempDir();
        using var a = Train(full, 9);
        var expected = TinyRun.Snapshot(a);

        var split = TinyRun.TempDir();
        using (var b = Train(split, 4))
        {
            Assert.Equal(4, b.Step);
            var saved = CheckpointStore.Load(Path.Combine(split, "checkpoints", "latest.ckpt"));
            Assert.True(saved.Tensors.TryGetValue("method.center", out var center), "checkpoint lacks the DINO center");
            var live = ((Dino)b.Method).Center.Value;
            Assert.Equal(live.cpu().bytes.ToArray(), center!.cpu().contiguous().bytes.ToArray());
            Assert.True(center.abs().max().item<float>() > 0, "the center never moved from zero");
        }
        using var c = Train(split, 9, resume: "auto");
        Assert.Equal(9, c.Step);
        var got = TinyRun.Snapshot(c);
        Assert.Contains("center", got.Keys);
        Assert.Contains(got.Keys, k => k.StartsWith("teacher."));
        Assert.Equal(expected.Keys.OrderBy(k => k), got.Keys.OrderBy(k => k));
        foreach (var (k, v) in expected) Assert.True(v.AsSpan().SequenceEqual(got[k]), $"tensor {k} differs after resume");
    }

    [Fact]
    public void ResumeRestoresTheCenterIntoAFreshRun()
    {
        var dir = TinyRun.TempDir();
        byte[] saved;
        using (var t = Train(dir, 3)) saved = ((Dino)t.Method).Center.Value.cpu().bytes.ToArray();

        var cfg = DinoTinyRun.Config(sdmp: true);
        using var fresh = RunBuilder.Trainer(cfg, dir, TinyRun.Log, CancellationToken.None);
        var center = ((Dino)fresh.Method).Center.Value;
        Assert.Equal(0f, center.abs().max().item<float>());
        fresh.Resume(ResumeTarget.Resolve("auto", dir, cfg, TinyRun.Log)!);
        Assert.Equal(saved, center.cpu().bytes.ToArray());
    }
}
