using Pretrain.Augment;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

public class BatchAugmenterTests
{
    private static readonly BatchAugmenter Augmenter = new(new AugmentConfig());

    [Fact]
    public void ToTensorTransposesHwcToChwAndScales()
    {
        // 2 samples of 2×2 RGB; byte = 100·sample + 10·pixel + channel.
        var bytes = new byte[2 * 2 * 2 * 3];
        for (int s = 0; s < 2; s++)
            for (int p = 0; p < 4; p++)
                for (int c = 0; c < 3; c++)
                    bytes[(s * 4 + p) * 3 + c] = (byte)(100 * s + 10 * p + c);
        var x = Augmenter.ToTensor(bytes, 2, 2, CPU);
        Assert.Equal(new long[] { 2, 3, 2, 2 }, x.shape);
        Assert.Equal(ScalarType.Float32, x.dtype);
        var v = TestImages.Values(x);
        for (int s = 0; s < 2; s++)
            for (int c = 0; c < 3; c++)
                for (int p = 0; p < 4; p++)
                    Assert.Equal((100 * s + 10 * p + c) / 255f, v[(s * 3 + c) * 4 + p], 6);
        Assert.Throws<ArgumentException>(() => Augmenter.ToTensor(bytes, 2, 3, CPU));
    }

    [Fact]
    public void NormalizeUsesTheConfiguredMeanAndStd()
    {
        var aug = new BatchAugmenter(new AugmentConfig { Mean = [0.5, 0.25, 0.0], Std = [0.5, 2.0, 0.1] });
        var x = tensor(new float[] { 1, 0, 0.5f, 0.25f, 0.2f, 0.3f }).view(1, 3, 1, 2);
        var y = TestImages.Values(aug.Normalize(x));
        double[] want = [1.0, -1.0, 0.125, 0.0, 2.0, 3.0];
        for (int i = 0; i < 6; i++) Assert.Equal(want[i], y[i], 6);
        Assert.Equal(1f, TestImages.Values(x)[0]);
    }

    [Fact]
    public void NeutralParametersAreTheIdentity()
    {
        var x = TestImages.Uniform(21, 3, 3, 6, 6);
        var p = PhotometricParams.Neutral(3);
        for (int i = 0; i < 3; i++) p.Jitter[i] = true;
        Assert.True(TestImages.MaxAbsDiff(BatchAugmenter.Apply(x, p), x) <= 1e-6);
    }

    [Fact]
    public void RandomOrderEqualsApplyingTheOpsByHandInThatOrder()
    {
        var x = TestImages.Uniform(22, 4, 3, 5, 6);
        var p = PhotometricParams.Neutral(4);
        int[][] orders = [[3, 0, 2, 1], [1, 2, 3, 0], [0, 1, 2, 3], [2, 3, 1, 0]];
        double[] b = [1.3, 0.7, 1.1, 0.9], c = [0.6, 1.35, 0.8, 1.2], s = [1.2, 0.3, 0.9, 1.15], h = [0.08, -0.1, 0.04, -0.06];
        for (int i = 0; i < 4; i++)
        {
            p.Order[i] = orders[i];
            p.Brightness[i] = b[i]; p.Contrast[i] = c[i]; p.Saturation[i] = s[i]; p.Hue[i] = h[i];
        }
        p.Jitter[0] = p.Jitter[1] = p.Jitter[3] = true;      // sample 2 is not jittered
        p.Grayscale[3] = true;
        p.Blur[1] = true; p.Sigma[1] = 1.2;
        p.Solarize[0] = true;
        var got = BatchAugmenter.Apply(x, p);

        for (int i = 0; i < 4; i++)
            Assert.True(TestImages.MaxAbsDiff(got.narrow(0, i, 1), ByHand(x.narrow(0, i, 1), p, i)) <= 1e-6, $"sample {i}");
        Assert.True(TestImages.MaxAbsDiff(got.narrow(0, 2, 1), x.narrow(0, 2, 1)) == 0);
        // The order matters: the same factors in another order give another image.
        var swapped = p with { Order = [[0, 1, 2, 3], orders[1], orders[2], orders[3]] };
        Assert.True(TestImages.MaxAbsDiff(BatchAugmenter.Apply(x, swapped).narrow(0, 0, 1), got.narrow(0, 0, 1)) > 1e-3);
    }

    /// <summary>One sample through the public single ops, sequentially, in its own order.</summary>
    private static Tensor ByHand(Tensor y, PhotometricParams p, int i)
    {
        if (p.Jitter[i])
            foreach (var op in p.Order[i])
                y = op switch
                {
                    0 => ColorOps.AdjustBrightness(y, TestImages.PerSample(p.Brightness[i])),
                    1 => ColorOps.AdjustContrast(y, TestImages.PerSample(p.Contrast[i])),
                    2 => ColorOps.AdjustSaturation(y, TestImages.PerSample(p.Saturation[i])),
                    _ => ColorOps.AdjustHue(y, TestImages.PerSample(p.Hue[i])),
                };
        if (p.Grayscale[i]) y = Grayscale.Apply(y);
        if (p.Blur[i]) y = GaussianBlur.Apply(y, TestImages.PerSample(p.Sigma[i]), GaussianBlur.RadiusFor(p.SigmaMax));
        if (p.Solarize[i]) y = Solarize.Apply(y, tensor(new[] { true }));
        return y;
    }

    [Fact]
    public void DrawnParametersOnABatchEqualEachSampleDoneByHand()
    {
        int b = 12;
        var x = TestImages.Uniform(23, b, 3, 6, 7);
        var view = new ViewConfig { JitterP = 0.75, GrayscaleP = 0.3, BlurP = 0.5, SolarizeP = 0.4, Hue = 0.5, Saturation = 0.8 };
        var p = PhotometricParams.Draw(view, Enumerable.Range(0, b).Select(i => KeyedRandom.Key(5, i)).ToArray());
        // The draw exercises mixed layouts: several jittered samples and several distinct orders.
        Assert.InRange(p.Jitter.Count(j => j), 4, b - 1);
        Assert.True(p.Order.Where((_, i) => p.Jitter[i]).Select(o => string.Join("", o)).Distinct().Count() >= 3);
        var got = BatchAugmenter.Apply(x, p);
        for (int i = 0; i < b; i++)
            Assert.True(TestImages.MaxAbsDiff(got.narrow(0, i, 1), ByHand(x.narrow(0, i, 1), p, i)) <= 1e-6, $"sample {i}");
    }

    [Fact]
    public void ApplyOnARawViewIsDeterministicPerSampleKeyAndNormalized()
    {
        int b = 3, size = 8;
        var pixels = new byte[b * size * size * 3];
        new Random(4).NextBytes(pixels);
        var keys = new[] { KeyedRandom.Key(1, 0, 0), KeyedRandom.Key(1, 0, 1), KeyedRandom.Key(1, 0, 2) };
        var view = new ViewConfig { CropSize = size, JitterP = 1, GrayscaleP = 0.5, BlurP = 0.5, BlurSigma = [0.1, 1.0], SolarizeP = 0.5 };
        var raw = new RawView { Pixels = pixels, CropSize = size, Config = view, SampleKeys = keys };
        var a = Augmenter.Apply(raw, CPU, normalize: false);
        Assert.Equal(new long[] { b, 3, size, size }, a.shape);
        Assert.True(TestImages.MaxAbsDiff(a, Augmenter.Apply(raw, CPU, normalize: false)) == 0);

        var expected = BatchAugmenter.Apply(Augmenter.ToTensor(pixels, b, size, CPU), PhotometricParams.Draw(view, keys));
        Assert.True(TestImages.MaxAbsDiff(a, expected) == 0);
        Assert.True(TestImages.MaxAbsDiff(Augmenter.Apply(raw, CPU), Augmenter.Normalize(a)) <= 1e-6);

        // Sample 1 alone (its own bytes and key) comes out the same as inside the batch.
        var one = pixels.Skip(size * size * 3).Take(size * size * 3).ToArray();
        var alone = Augmenter.Apply(new RawView { Pixels = one, CropSize = size, Config = view, SampleKeys = [keys[1]] }, CPU, normalize: false);
        Assert.True(TestImages.MaxAbsDiff(alone, a.narrow(0, 1, 1)) <= 1e-6);
        Assert.True(a.min().item<float>() >= 0 && a.max().item<float>() <= 1);
    }
}
