using Pretrain.Config;
using Pretrain.Mixing;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Mixing;

public class SdmpMixerTests
{
    private static Tensor Batch(int n, int seed) =>
        (arange(n * 3 * 8 * 8, ScalarType.Float32).reshape(n, 3, 8, 8) * (0.37f + seed)).sin();

    private static SdmpConfig Config(string[] ops, double lo = 0, double hi = 1) =>
        new() { Enabled = true, Ops = ops, LambdaRange = [lo, hi], Alpha = 1.0 };

    [Fact]
    public void OpsAreDrawnUniformlyPerBatch()
    {
        var mixer = new SdmpMixer(Config(["mixup", "cutmix", "resizemix"]));
        var counts = new int[3];
        for (ulong k = 0; k < 600; k++) counts[(int)mixer.ChooseOp(k)]++;
        Assert.All(counts, c => Assert.InRange(c, 150, 250));
    }

    [Fact]
    public void LambdaIsBetaOneOneSqueezedIntoTheRange()
    {
        var mixer = new SdmpMixer(Config(["mixup"], 0.1, 0.9));
        var lam = Enumerable.Range(0, 200).SelectMany(k => mixer.DrawLambda((ulong)k, 10)).ToArray();
        Assert.All(lam, l => Assert.InRange(l, 0.1f, 0.9f));
        Assert.InRange(lam.Average(), 0.48, 0.52);                       // Beta(1,1) is uniform: mean ½
        Assert.InRange(lam.Count(l => l < 0.3f) / (double)lam.Length, 0.22, 0.28);
    }

    [Fact]
    public void MixIsAPureFunctionOfTheKey()
    {
        using var scope = NewDisposeScope();
        var mixer = new SdmpMixer(Config(["mixup", "cutmix", "resizemix"]));
        var (x1, x2) = (Batch(5, 0), Batch(5, 1));
        for (ulong k = 0; k < 6; k++)
        {
            var a = mixer.Mix(x1, x2, k);
            var b = mixer.Mix(x1, x2, k);
            Assert.Equal(a.Op, b.Op);
            Assert.True(a.Mixed1.eq(b.Mixed1).all().item<bool>() && a.Mixed2.eq(b.Mixed2).all().item<bool>() && a.Lambda.eq(b.Lambda).all().item<bool>());
        }
    }

    [Fact]
    public void MixupViewsShareTheDrawnLambda()
    {
        using var scope = NewDisposeScope();
        var mixer = new SdmpMixer(Config(["mixup"], 0.1, 0.9));
        var (x1, x2) = (Batch(4, 0), Batch(4, 1));
        var r = mixer.Mix(x1, x2, 42);
        var lam = tensor(mixer.DrawLambda(42, 4));
        Assert.Equal(MixOp.Mixup, r.Op);
        Assert.True(r.Lambda.eq(lam).all().item<bool>() && r.Lambda1.eq(lam).all().item<bool>());
        Assert.True(r.Mixed1.eq(Mixup.Apply(x1, lam)).all().item<bool>());
        Assert.True(r.Mixed2.eq(Mixup.Apply(x2, lam)).all().item<bool>());
    }

    [Fact]
    public void OfficialValuesGiveResizeMixWithNominalLambdaAndIndependentBoxes()
    {
        using var scope = NewDisposeScope();
        var mixer = new SdmpMixer(Config(["resizemix"], 0.1, 0.9));
        var (x1, x2) = (Batch(6, 0), Batch(6, 1));
        bool anyBoxDiffers = false;
        for (ulong key = 100; key < 104; key++)
        {
            var r = mixer.Mix(x1, x2, key);
            var lam = mixer.DrawLambda(key, 6);
            var nominal = lam.Select(l => ResizeMixGeometry.Lambda(8, 8, l)).ToArray();
            Assert.True(r.Lambda.eq(tensor(nominal)).all().item<bool>() && r.Lambda1.eq(r.Lambda).all().item<bool>());
            var b1 = mixer.Boxes(key, 1, MixOp.ResizeMix, 8, 8, lam);
            var b2 = mixer.Boxes(key, 2, MixOp.ResizeMix, 8, 8, lam);
            Assert.True(r.Mixed1.eq(ResizeMix.Apply(x1, b1)).all().item<bool>());
            Assert.True(r.Mixed2.eq(ResizeMix.Apply(x2, b2)).all().item<bool>());
            anyBoxDiffers |= !b1.SequenceEqual(b2);
        }
        Assert.True(anyBoxDiffers);
    }

    [Fact]
    public void CutMixLambdaIsRecomputedFromEachViewsClippedBox()
    {
        using var scope = NewDisposeScope();
        var mixer = new SdmpMixer(Config(["cutmix"]));
        var (x1, x2) = (Batch(3, 0), Batch(3, 1));
        var r = mixer.Mix(x1, x2, 9);
        var lam = mixer.DrawLambda(9, 3);
        var b1 = mixer.Boxes(9, 1, MixOp.CutMix, 8, 8, lam);
        var b2 = mixer.Boxes(9, 2, MixOp.CutMix, 8, 8, lam);
        Assert.True(r.Mixed1.eq(CutMix.Apply(x1, b1)).all().item<bool>());
        Assert.True(r.Mixed2.eq(CutMix.Apply(x2, b2)).all().item<bool>());
        Assert.True(r.Lambda.eq(tensor(b2.Select(b => b.LambdaIn(8, 8)).ToArray())).all().item<bool>());
        Assert.True(r.Lambda1.eq(tensor(b1.Select(b => b.LambdaIn(8, 8)).ToArray())).all().item<bool>());
    }

    [Fact]
    public void RejectsUnknownOpsAndBadRanges()
    {
        Assert.Throws<ArgumentException>(() => new SdmpMixer(Config(["mixpu"])));
        Assert.Throws<ArgumentException>(() => new SdmpMixer(Config(["mixup"], 0.9, 0.1)));
        Assert.Throws<ArgumentException>(() => new SdmpMixer(Config(["mixup"], -0.1, 1)));
    }
}
