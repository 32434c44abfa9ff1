using Pretrain.Augment;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

public class GaussianBlurTests
{
    private static double[] ReferenceTaps(double sigma, int r)
    {
        var k = new double[2 * r + 1];
        for (int t = -r; t <= r; t++) k[t + r] = Math.Exp(-t * t / (2 * sigma * sigma));
        var sum = k.Sum();
        return k.Select(v => v / sum).ToArray();
    }

    private static int Reflect(int i, int n) => i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;

    /// <summary>Direct 2-D convolution in double with the outer-product kernel and reflect borders.</summary>
    private static double[] ReferenceBlur(float[] img, int h, int w, double sigma, int r)
    {
        var k = ReferenceTaps(sigma, r);
        var o = new double[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double acc = 0;
                for (int dy = -r; dy <= r; dy++)
                    for (int dx = -r; dx <= r; dx++)
                        acc += k[dy + r] * k[dx + r] * img[Reflect(y + dy, h) * w + Reflect(x + dx, w)];
                o[y * w + x] = acc;
            }
        return o;
    }

    [Fact]
    public void KernelIsNormalisedGaussianPerSample()
    {
        var taps = Kernel(new[] { 0.5, 1.0, 2.0 }, 6);
        Assert.Equal(new long[] { 3, 13 }, taps.shape);
        var v = TestImages.Values(taps);
        double[] sigmas = [0.5, 1.0, 2.0];
        for (int s = 0; s < 3; s++)
        {
            var reference = ReferenceTaps(sigmas[s], 6);
            Assert.Equal(1.0, v.Skip(13 * s).Take(13).Sum(f => (double)f), 5);
            for (int t = 0; t < 13; t++) Assert.Equal(reference[t], v[13 * s + t], 6);
        }
    }

    private static Tensor Kernel(double[] sigma, int r) =>
        GaussianBlur.Kernel1d(tensor(sigma.Select(x => (float)x).ToArray()), r);

    [Theory]
    [InlineData(0.8, 2)]
    [InlineData(1.5, 5)]
    [InlineData(2.0, 6)]
    public void MatchesADirectTwoDimensionalConvolution(double sigma, int radius)
    {
        var img = TestImages.Uniform(5, 1, 1, 7, 7);
        var got = TestImages.Values(GaussianBlur.Apply(img, TestImages.PerSample(sigma), radius));
        var want = ReferenceBlur(TestImages.Values(img), 7, 7, sigma, radius);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-5);
    }

    [Fact]
    public void BlocksJoinSeamlesslyOnLargerImages()
    {
        // 40 rows → two blocks of 20, 48 columns → two blocks of 24.
        Assert.Equal(20, GaussianBlur.BlockLength(40));
        Assert.Equal(24, GaussianBlur.BlockLength(48));
        Assert.Equal(32, GaussianBlur.BlockLength(224));
        Assert.Equal(97, GaussianBlur.BlockLength(97));
        var img = TestImages.Uniform(9, 1, 1, 40, 48);
        var got = TestImages.Values(GaussianBlur.Apply(img, TestImages.PerSample(1.6), 5));
        var want = ReferenceBlur(TestImages.Values(img), 40, 48, 1.6, 5);
        for (int i = 0; i < want.Length; i++) Assert.Equal(want[i], got[i], 1e-5);
    }

    [Fact]
    public void EachSampleUsesItsOwnSigmaOnEveryChannel()
    {
        var img = TestImages.Uniform(6, 2, 3, 6, 8);
        double[] sigmas = [0.7, 1.9];
        var got = TestImages.Values(GaussianBlur.Apply(img, TestImages.PerSample(sigmas), 4));
        var all = TestImages.Values(img);
        for (int s = 0; s < 2; s++)
            for (int c = 0; c < 3; c++)
            {
                int at = (s * 3 + c) * 48;
                var want = ReferenceBlur(all.Skip(at).Take(48).ToArray(), 6, 8, sigmas[s], 4);
                for (int i = 0; i < 48; i++) Assert.Equal(want[i], got[at + i], 1e-5);
            }
    }

    [Fact]
    public void TinySigmaIsTheIdentity()
    {
        var img = TestImages.Uniform(7, 2, 3, 5, 5);
        var got = GaussianBlur.Apply(img, TestImages.PerSample(1e-3, 1e-3), 3);
        Assert.True(TestImages.MaxAbsDiff(got, img) <= 1e-6);
    }

    [Fact]
    public void RadiusRuleAndCapAtImageSize()
    {
        Assert.Equal(6, GaussianBlur.RadiusFor(2.0));
        Assert.Equal(1, GaussianBlur.RadiusFor(0.1));
        Assert.Equal(5, GaussianBlur.RadiusFor(1.5));
        // A 4×4 image only reflects 3 pixels: radius 6 is capped to 3.
        var img = TestImages.Uniform(8, 1, 1, 4, 4);
        var got = TestImages.Values(GaussianBlur.Apply(img, TestImages.PerSample(2.0), 6));
        var want = ReferenceBlur(TestImages.Values(img), 4, 4, 2.0, 3);
        for (int i = 0; i < 16; i++) Assert.Equal(want[i], got[i], 1e-5);
    }

    [Fact]
    public void ConstantImageStaysConstant()
    {
        var img = full(new long[] { 1, 3, 9, 9 }, 0.25f);
        var got = GaussianBlur.Apply(img, TestImages.PerSample(1.3), 4);
        Assert.True(TestImages.MaxAbsDiff(got, img) <= 1e-6);
    }
}
