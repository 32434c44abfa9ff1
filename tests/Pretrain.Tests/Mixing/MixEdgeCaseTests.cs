using Pretrain.Common;
using Pretrain.Data;
using Pretrain.Mixing;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Mixing;

/// <summary>docs/sdmp.md §1 edge cases: λ = 0 / 1, full and empty boxes, 1-pixel boxes, n = 1 and odd n.</summary>
public class MixEdgeCaseTests
{
    private static Tensor Batch(int n, int c, int h, int w) =>
        arange(n * c * h * w, ScalarType.Float32).reshape(n, c, h, w).sin();

    [Fact]
    public void ResizeMixWithLambdaZeroOnEvenSideIsTheWholePartner()
    {
        using var scope = NewDisposeScope();
        var rng = new KeyedRandom(7UL);
        var box = ResizeMixGeometry.Draw(8, 6, 0f, ref rng);   // centre range collapses: clamped
        Assert.Equal(new MixBox(0, 8, 0, 6), box);
        Assert.Equal(0f, ResizeMixGeometry.Lambda(8, 6, 0f));
        var x = Batch(3, 2, 8, 6);
        GoldenFile.AssertClose(x.flip(0).reshape(-1).to(ScalarType.Float64).data<double>().ToArray(),
            ResizeMix.Apply(x, [box, box, box]), 1e-6, 0, "full-box resizemix");
    }

    [Fact]
    public void ResizeMixWithLambdaZeroOnOddSideUsesTheNominalSide()
    {
        // side 7: centre range [3, 4), pasted extent 2·(7//2) = 6, λ from the nominal side is 0.
        var rng = new KeyedRandom(3UL);
        Assert.Equal(new MixBox(0, 6, 0, 6), ResizeMixGeometry.Draw(7, 7, 0f, ref rng));
        Assert.Equal(0f, ResizeMixGeometry.Lambda(7, 7, 0f));
    }

    [Fact]
    public void LambdaOneGivesAnEmptyBoxAndAnUnchangedImage()
    {
        using var scope = NewDisposeScope();
        var rng = new KeyedRandom(11UL);
        var resize = ResizeMixGeometry.Draw(5, 5, 1f, ref rng);
        var cut = CutMixGeometry.Draw(5, 5, 1f, ref rng);
        Assert.Equal(0, resize.Area);
        Assert.Equal(0, cut.Area);
        Assert.Equal(1f, ResizeMixGeometry.Lambda(5, 5, 1f));
        Assert.Equal(1f, cut.LambdaIn(5, 5));
        var x = Batch(2, 1, 5, 5);
        Assert.True(ResizeMix.Apply(x, [resize, resize]).eq(x).all().item<bool>());
        Assert.True(CutMix.Apply(x, [cut, cut]).eq(x).all().item<bool>());
    }

    [Fact]
    public void CutMixLambdaZeroAtTheCentreCoversTheImageAndIsClippedElsewhere()
    {
        Assert.Equal(new MixBox(0, 6, 0, 6), CutMixGeometry.Place(6, 6, 0f, 3, 3));
        var corner = CutMixGeometry.Place(6, 6, 0f, 0, 5);
        Assert.Equal(new MixBox(0, 3, 2, 6), corner);
        Assert.Equal((float)(1 - 12 / 36.0), corner.LambdaIn(6, 6));
    }

    [Fact]
    public void OnePixelCutMixBoxReplacesExactlyThatPixel()
    {
        using var scope = NewDisposeScope();
        var x = Batch(2, 3, 4, 5);
        var mixed = CutMix.Apply(x, [new MixBox(2, 3, 4, 5), new MixBox(0, 0, 0, 0)]);
        var expected = x.clone();
        expected[0, .., 2, 4] = x[1, .., 2, 4];
        Assert.True(mixed.eq(expected).all().item<bool>());
        Assert.Equal((float)(1 - 1 / 20.0), new MixBox(2, 3, 4, 5).LambdaIn(4, 5));
    }

    [Fact]
    public void OnePixelResizeMixBoxHoldsTheBilinearMeanOfThePartnerCentre()
    {
        // Bilinear resize of 4x4 to 1x1 (align_corners=False) samples (1.5, 1.5): the mean of the centre 2x2.
        using var scope = NewDisposeScope();
        var x = Batch(2, 1, 4, 4);
        var mixed = ResizeMix.Apply(x, [new MixBox(3, 4, 0, 1), new MixBox(1, 1, 1, 1)]);
        var centre = x[1, 0, TensorIndex.Slice(1, 3), TensorIndex.Slice(1, 3)].mean().item<float>();
        Assert.Equal(centre, mixed[0, 0, 3, 0].item<float>(), 5);
        var untouched = ones(4, 4, ScalarType.Bool);
        untouched[3, 0] = false;
        Assert.True(mixed[0, 0].masked_select(untouched).eq(x[0, 0].masked_select(untouched)).all().item<bool>());
        Assert.True(mixed[1].eq(x[1]).all().item<bool>());
    }

    [Fact]
    public void SingleSampleIsItsOwnPartner()
    {
        using var scope = NewDisposeScope();
        var x = Batch(1, 3, 6, 6);
        Assert.True(Mixup.Apply(x, tensor(new[] { 0.3f })).allclose(x, rtol: 0, atol: 1e-6));
        Assert.True(CutMix.Apply(x, [new MixBox(1, 4, 2, 5)]).eq(x).all().item<bool>());
        // ResizeMix pastes the sample's own resized copy; a full box is the identity.
        Assert.True(ResizeMix.Apply(x, [new MixBox(0, 6, 0, 6)]).allclose(x, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void OddBatchLeavesTheMiddleSampleUnmixed()
    {
        using var scope = NewDisposeScope();
        var x = Batch(3, 2, 4, 4);
        var lam = tensor(new[] { 0.25f, 0.6f, 0.9f });
        var mixed = Mixup.Apply(x, lam);
        Assert.True(mixed[1].allclose(x[1], rtol: 0, atol: 1e-6));
        Assert.True(mixed[0].allclose(0.25f * x[0] + 0.75f * x[2], rtol: 0, atol: 1e-6));
        Assert.True(mixed[2].allclose(0.9f * x[2] + 0.1f * x[0], rtol: 0, atol: 1e-6));
        var box = new MixBox(0, 2, 0, 2);
        Assert.True(CutMix.Apply(x, [box, box, box])[1].eq(x[1]).all().item<bool>());
    }

    [Fact]
    public void CommonShareMatchesItsClosedForm()
    {
        using var scope = NewDisposeScope();
        var lam = tensor(new[] { 0.3f, 0.5f, 0.6f });
        // c_0 = min(.3, 1-.6) + min(.7, .6) = .9; c_1 (self) = min(.5,.5)+min(.5,.5) = 1; c_2 = min(.6,.7)+min(.4,.3) = .9
        GoldenFile.AssertClose([0.9, 1.0, 0.9], MixWeights.Common(lam), 1e-6, 0, "c");
        var (self, flip) = MixWeights.Mix(lam);
        GoldenFile.AssertClose([1 / 1.9, 0.5, 1 / 1.9], self, 1e-6, 0, "w_self");
        GoldenFile.AssertClose([0.9 / 1.9, 0.5, 0.9 / 1.9], flip, 1e-6, 0, "w_flip");
    }
}
