using System.Runtime.InteropServices;
using Pretrain.Augment;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

[Collection(TorchGlobalState.Name)]
public class HostPhotometricTests
{
    // Normalized outputs: std ≈ 0.22 turns float32 rounding-order differences of ~1e-6 into ~5e-6.
    private const double Tolerance = 2e-4;
    private static readonly AugmentConfig Config = new();
    private static readonly float[] Mean = Config.Mean.Select(m => (float)m).ToArray();
    private static readonly float[] Std = Config.Std.Select(s => (float)s).ToArray();

    /// <summary>The torch path: bytes → [B,3,S,S] / 255 → BatchAugmenter.Apply → normalize.</summary>
    private static float[] TorchReference(byte[] pixels, int batch, int size, PhotometricParams p)
    {
        using var scope = NewDisposeScope();
        var augmenter = new BatchAugmenter(Config);
        var x = augmenter.ToTensor(pixels, batch, size, CPU);
        return TestImages.Values(augmenter.Normalize(BatchAugmenter.Apply(x, p)));
    }

    private static float[] Host(byte[] pixels, int batch, int size, PhotometricParams p, float[]? mean = null, float[]? std = null)
    {
        int per = 3 * size * size;
        var result = new float[batch * per];
        for (int i = 0; i < batch; i++)
            HostPhotometric.ApplyOne(pixels.AsSpan(i * per, per), size, p, i, mean ?? Mean, std ?? Std, result.AsSpan(i * per, per));
        return result;
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double worst = 0;
        for (int k = 0; k < a.Length; k++) worst = Math.Max(worst, Math.Abs((double)a[k] - b[k]));
        return worst;
    }

    private static byte[] RandomPixels(int seed, int batch, int size)
    {
        var pixels = new byte[batch * size * size * 3];
        new Random(seed).NextBytes(pixels);
        return pixels;
    }

    /// <summary>
    /// Random pixels with every fourth one replaced from a list of hue edge cases: gray levels, pure and
    /// secondary colours, and ties for the max channel (R = G, G = B, R = B).
    /// </summary>
    private static byte[] EdgeCasePixels(int seed, int batch, int size)
    {
        byte[][] special =
        [
            [0, 0, 0], [255, 255, 255], [128, 128, 128], [37, 37, 37],
            [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255],
            [200, 200, 50], [50, 200, 200], [200, 50, 200], [90, 90, 91], [91, 90, 90], [1, 0, 0],
        ];
        var pixels = RandomPixels(seed, batch, size);
        for (int k = 0, s = 0; k < batch * size * size; k += 4, s++)
            special[s % special.Length].CopyTo(pixels, 3 * k);
        return pixels;
    }

    private static ViewConfig EveryOpOften() => new()
    {
        JitterP = 1, GrayscaleP = 0.4, BlurP = 0.8, SolarizeP = 0.5, Hue = 0.5, Saturation = 0.8, BlurSigma = [0.1, 2.0],
    };

    private static ViewConfig View(string name) => name switch
    {
        "view1" => ViewConfig.MocoView1(),
        "view2" => ViewConfig.MocoView2(),
        _ => EveryOpOften(),
    };

    [Theory]
    [InlineData("view1", 32, 8, 1)]
    [InlineData("view2", 32, 8, 2)]
    [InlineData("all", 32, 8, 3)]
    [InlineData("all", 17, 6, 4)]
    [InlineData("all", 5, 6, 5)]
    [InlineData("view1", 224, 2, 6)]
    [InlineData("all", 224, 1, 7)]
    public void DrawnParametersMatchTheTorchPath(string view, int size, int batch, int seed)
    {
        var config = View(view);
        var keys = Enumerable.Range(0, batch).Select(i => KeyedRandom.Key(seed, i)).ToArray();
        var pixels = EdgeCasePixels(seed, batch, size);
        var p = PhotometricParams.Draw(config, keys);
        Assert.True(MaxAbsDiff(Host(pixels, batch, size, p), TorchReference(pixels, batch, size, p)) <= Tolerance);

        // Apply on the RawView is ApplyOne per sample, bit for bit, and matches BatchAugmenter.Apply.
        var raw = new RawView { Pixels = pixels, CropSize = size, Config = config, SampleKeys = keys };
        var applied = HostPhotometric.Apply(raw, Mean, Std);
        Assert.True(MemoryMarshal.AsBytes(applied.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(Host(pixels, batch, size, p).AsSpan())));
        using var torchView = new BatchAugmenter(Config).Apply(raw, CPU);
        Assert.True(MaxAbsDiff(applied, TestImages.Values(torchView)) <= Tolerance);
    }

    [Fact]
    public void DrawnParametersExerciseEveryOp()
    {
        var p = PhotometricParams.Draw(EveryOpOften(), Enumerable.Range(0, 8).Select(i => KeyedRandom.Key(3, i)).ToArray());
        Assert.Contains(true, p.Grayscale);
        Assert.Contains(false, p.Grayscale);
        Assert.Contains(true, p.Blur);
        Assert.Contains(true, p.Solarize);
        Assert.True(p.Order.Select(o => string.Join("", o)).Distinct().Count() >= 3);
    }

    public static TheoryData<string, double, int> SingleOps => new()
    {
        { "brightness", 1.35, 16 }, { "brightness", 0.6, 17 },
        { "contrast", 0.6, 16 }, { "contrast", 1.4, 17 },
        { "saturation", 0.0, 16 }, { "saturation", 0.3, 16 }, { "saturation", 1.8, 17 },
        { "hue", 0.5, 16 }, { "hue", -0.5, 16 }, { "hue", 0.1, 17 }, { "hue", -0.23, 16 }, { "hue", 0.0, 5 },
        { "grayscale", 0, 17 },
        { "blur", 0.1, 16 }, { "blur", 1.0, 17 }, { "blur", 2.0, 16 }, { "blur", 2.0, 5 }, { "blur", 1.5, 2 }, { "blur", 1.5, 1 },
        { "solarize", 0, 17 },
    };

    [Theory]
    [MemberData(nameof(SingleOps))]
    public void EachOpAloneMatchesTheTorchPath(string op, double value, int size)
    {
        const int batch = 3;
        var pixels = EdgeCasePixels(11, batch, size);
        var p = PhotometricParams.Neutral(batch);
        for (int i = 0; i < batch; i++)
        {
            switch (op)
            {
                case "brightness": p.Jitter[i] = true; p.Brightness[i] = value; break;
                case "contrast": p.Jitter[i] = true; p.Contrast[i] = value; break;
                case "saturation": p.Jitter[i] = true; p.Saturation[i] = value; break;
                case "hue": p.Jitter[i] = true; p.Hue[i] = value; break;
                case "grayscale": p.Grayscale[i] = true; break;
                case "blur": p.Blur[i] = true; p.Sigma[i] = value; break;
                default: p.Solarize[i] = true; break;
            }
        }
        var host = Host(pixels, batch, size, p);
        Assert.True(MaxAbsDiff(host, TorchReference(pixels, batch, size, p)) <= Tolerance);
        // The op did something, except where it is the identity: no hue shift, σ = 0.1 (outer taps
        // e^−50) or a 1×1 image (radius capped to 0).
        bool identity = op == "hue" && value == 0.0 || op == "blur" && (value <= 0.1 || size == 1);
        double change = MaxAbsDiff(host, Host(pixels, batch, size, PhotometricParams.Neutral(batch)));
        Assert.True(identity ? change <= Tolerance : change > 1e-2);
    }

    [Fact]
    public void NeutralParametersGiveTheScaledBytesNormalized()
    {
        // 19×19: the 16-pixel SIMD conversion and the scalar tail both run.
        int size = 19, batch = 2;
        var pixels = RandomPixels(12, batch, size);
        var got = Host(pixels, batch, size, PhotometricParams.Neutral(batch));
        for (int i = 0; i < batch; i++)
            for (int c = 0; c < 3; c++)
                for (int k = 0; k < size * size; k++)
                {
                    // Within a few ulps: the host path multiplies by 1/255 and 1/std instead of dividing.
                    float want = (pixels[(i * size * size + k) * 3 + c] / 255f - Mean[c]) / Std[c];
                    Assert.InRange(got[(i * 3 + c) * size * size + k], want - 1e-6f, want + 1e-6f);
                }
    }

    [Fact]
    public void GrayscaleWritesThe601LumaToEveryChannel()
    {
        int size = 9;
        var pixels = EdgeCasePixels(13, 1, size);
        var p = PhotometricParams.Neutral(1);
        p.Grayscale[0] = true;
        var got = Host(pixels, 1, size, p, [0f, 0f, 0f], [1f, 1f, 1f]);
        int n = size * size;
        for (int k = 0; k < n; k++)
        {
            double luma = 0.299 * pixels[3 * k] / 255.0 + 0.587 * pixels[3 * k + 1] / 255.0 + 0.114 * pixels[3 * k + 2] / 255.0;
            Assert.InRange(got[k], luma - 1e-6, luma + 1e-6);
            Assert.Equal(got[k], got[n + k]);
            Assert.Equal(got[k], got[2 * n + k]);
        }
    }

    [Fact]
    public void SolarizeInvertsFromOneHalfUp()
    {
        // A 3×3 image: six gray levels, then three black pixels.
        byte[] levels = [0, 64, 127, 128, 200, 255];
        var square = new byte[3 * 3 * 3];
        levels.SelectMany(b => new[] { b, b, b }).ToArray().CopyTo(square, 0);
        var p = PhotometricParams.Neutral(1);
        p.Solarize[0] = true;
        var got = Host(square, 1, 3, p, [0f, 0f, 0f], [1f, 1f, 1f]);
        float[] want = [0f, 64 / 255f, 127 / 255f, 1f - 128 / 255f, 1f - 200 / 255f, 0f, 0f, 0f, 0f];
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 9; k++)
                Assert.InRange(got[c * 9 + k], want[k] - 1e-7f, want[k] + 1e-7f);
    }

    [Fact]
    public void BlurOfAConstantImageIsThatConstant()
    {
        int size = 12;
        var pixels = Enumerable.Repeat((byte)77, size * size * 3).ToArray();
        var p = PhotometricParams.Neutral(1);
        p.Blur[0] = true;
        p.Sigma[0] = 1.7;
        var got = Host(pixels, 1, size, p, [0f, 0f, 0f], [1f, 1f, 1f]);
        Assert.All(got, v => Assert.Equal(77 / 255f, v, 6));
    }

    [Fact]
    public void ConcurrentSamplesEqualSequentialOnes()
    {
        int batch = 48;
        var sizes = Enumerable.Range(0, batch).Select(i => i % 3 == 0 ? 17 : 32).ToArray();
        var offsets = new int[batch + 1];
        for (int i = 0; i < batch; i++) offsets[i + 1] = offsets[i] + 3 * sizes[i] * sizes[i];
        var pixels = new byte[offsets[batch]];
        new Random(14).NextBytes(pixels);
        var p = PhotometricParams.Draw(EveryOpOften(), Enumerable.Range(0, batch).Select(i => KeyedRandom.Key(14, i)).ToArray());

        float[] Run(bool parallel)
        {
            var result = new float[offsets[batch]];
            void One(int i)
            {
                int len = offsets[i + 1] - offsets[i];
                HostPhotometric.ApplyOne(pixels.AsSpan(offsets[i], len), sizes[i], p, i, Mean, Std, result.AsSpan(offsets[i], len));
            }
            if (parallel) Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = 4 }, One);
            else for (int i = 0; i < batch; i++) One(i);
            return result;
        }
        var sequential = Run(false);
        for (int round = 0; round < 3; round++)
            Assert.True(MemoryMarshal.AsBytes(Run(true).AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(sequential.AsSpan())));
    }

    [Fact]
    public void MismatchedBuffersAreRejected()
    {
        var p = PhotometricParams.Neutral(1);
        var output = new float[3 * 16];
        Assert.Throws<ArgumentException>(() => HostPhotometric.ApplyOne(new byte[3 * 15], 4, p, 0, Mean, Std, output));
        Assert.Throws<ArgumentException>(() => HostPhotometric.ApplyOne(new byte[3 * 16], 4, p, 0, Mean, Std, new float[3 * 15]));
        Assert.Throws<ArgumentException>(() => HostPhotometric.ApplyOne(new byte[3 * 16], 4, p, 0, Mean.AsSpan(0, 2), Std, output));
        Assert.Throws<ArgumentOutOfRangeException>(() => HostPhotometric.ApplyOne(new byte[3 * 16], 4, p, 1, Mean, Std, output));
        p.Jitter[0] = true;
        p.Order[0] = [0, 1, 1, 3];
        Assert.Throws<ArgumentException>(() => HostPhotometric.ApplyOne(new byte[3 * 16], 4, p, 0, Mean, Std, output));
    }

    [Theory]
    [InlineData(2.0, 6, 6)]
    [InlineData(1.0, 6, 6)]
    [InlineData(0.5, 6, 3)]
    [InlineData(0.25, 6, 1)]
    [InlineData(0.1, 6, 0)]
    [InlineData(1.5, 2, 2)]
    public void TapsAreKernel1dTrimmedToTheNonNegligibleOnes(double sigma, int radius, int kept)
    {
        var taps = new float[2 * radius + 1];
        Assert.Equal(kept, HostGaussianBlur.Taps(sigma, radius, taps));
        var full = TestImages.Values(GaussianBlur.Kernel1d(TestImages.PerSample(sigma), radius));
        for (int t = -radius; t <= radius; t++)
            if (Math.Abs(t) <= kept) Assert.Equal(full[radius + t], taps[kept + t], 6);
            else Assert.True(full[radius + t] < HostGaussianBlur.NegligibleTap);
    }
}
