using Pretrain.Augment;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

public class ColorOpsTests
{
    private static readonly Tensor X = TestImages.Uniform(11, 3, 3, 5, 4);

    [Fact]
    public void NeutralFactorsLeaveTheBatchUnchanged()
    {
        var one = TestImages.PerSample(1, 1, 1);
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustBrightness(X, one), X) <= 1e-6);
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustContrast(X, one), X) <= 1e-6);
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustSaturation(X, one), X) <= 1e-6);
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustHue(X, TestImages.PerSample(0, 0, 0)), X) <= 1e-6);
    }

    [Fact]
    public void PublicOpsDoNotModifyTheirInput()
    {
        var before = TestImages.Values(X);
        ColorOps.AdjustBrightness(X, TestImages.PerSample(0.5, 1.5, 0.2));
        ColorOps.AdjustHue(X, TestImages.PerSample(0.3, -0.2, 0.1));
        Assert.Equal(before, TestImages.Values(X));
    }

    [Fact]
    public void BrightnessIsTheClampedProductPerSample()
    {
        double[] f = [0.5, 1.4, 0.0];
        var y = TestImages.Values(ColorOps.AdjustBrightness(X, TestImages.PerSample(f)));
        var x = TestImages.Values(X);
        int per = 3 * 5 * 4;
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(Math.Clamp(x[i] * f[i / per], 0, 1), y[i], 6);
    }

    [Fact]
    public void ContrastBlendsWithTheSampleGrayMean()
    {
        double[] f = [0.6, 1.3, 0.0];
        var y = TestImages.Values(ColorOps.AdjustContrast(X, TestImages.PerSample(f)));
        var x = TestImages.Values(X);
        int plane = 5 * 4, per = 3 * plane;
        for (int s = 0; s < 3; s++)
        {
            double mean = 0;
            for (int p = 0; p < plane; p++)
                mean += 0.299 * x[s * per + p] + 0.587 * x[s * per + plane + p] + 0.114 * x[s * per + 2 * plane + p];
            mean /= plane;
            for (int i = s * per; i < (s + 1) * per; i++)
                Assert.Equal(Math.Clamp(f[s] * x[i] + (1 - f[s]) * mean, 0, 1), y[i], 5);
        }
    }

    [Fact]
    public void SaturationZeroIsGrayscaleAndOthersBlendWithIt()
    {
        var gray = Grayscale.Apply(X);
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustSaturation(X, TestImages.PerSample(0, 0, 0)), gray) <= 1e-6);
        var f = 1.7;
        var expected = (X * f + gray * (1 - f)).clamp(0.0, 1.0);
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustSaturation(X, TestImages.PerSample(f, f, f)), expected) <= 1e-6);
    }

    [Fact]
    public void HueHalfTurnMakesRedCyanGreenMagentaBlueYellow()
    {
        // Channel planes of 4 pixels: red, green, blue, mid gray.
        var img = tensor(new float[] { 1, 0, 0, 0.5f, 0, 1, 0, 0.5f, 0, 0, 1, 0.5f }).view(1, 3, 1, 4);
        var y = TestImages.Values(ColorOps.AdjustHue(img, TestImages.PerSample(0.5)));
        float[] want = [0, 1, 1, 0.5f, 1, 0, 1, 0.5f, 1, 1, 0, 0.5f];
        for (int i = 0; i < 12; i++) Assert.Equal(want[i], y[i], 6);
    }

    [Fact]
    public void HueShiftMatchesTheHsvRoundTripWithShiftedHue()
    {
        var shift = TestImages.PerSample(0.1, -0.35, 0.5);
        var hsv = HsvColorSpace.RgbToHsv(X);
        var h = (hsv.narrow(1, 0, 1) + shift.view(-1, 1, 1, 1)).remainder(1.0);
        var viaHsv = HsvColorSpace.HsvToRgb(cat([h, hsv.narrow(1, 1, 2)], 1));
        Assert.True(TestImages.MaxAbsDiff(ColorOps.AdjustHue(X, shift), viaHsv) <= 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RgbToHsvToRgbIsTheIdentity(bool specialColours)
    {
        // Pure colours, black, white, a gray and ties between channels exercise every branch.
        var img = specialColours
            ? tensor(new float[] { 1, 0, 0, 0, 1, 0.3f, 1, 0.5f,
                                   0, 1, 0, 0, 1, 0.3f, 1, 0.5f,
                                   0, 0, 1, 0, 1, 0.3f, 0, 0.2f }).view(1, 3, 1, 8)
            : X;
        var back = HsvColorSpace.HsvToRgb(HsvColorSpace.RgbToHsv(img));
        Assert.True(TestImages.MaxAbsDiff(back, img) <= 1e-6);
    }

    [Fact]
    public void RgbToHsvKnownValues()
    {
        // orange (1, 0.5, 0): H = 30°/360°, S = 1, V = 1; dark cyan-ish (0, 0.4, 0.8): H = 210°/360°, S = 1, V = 0.8
        var img = tensor(new float[] { 1, 0, 0.5f, 0.4f, 0, 0.8f }).view(1, 3, 1, 2);
        var hsv = TestImages.Values(HsvColorSpace.RgbToHsv(img));
        Assert.Equal(30.0 / 360, hsv[0], 6);
        Assert.Equal(210.0 / 360, hsv[1], 6);
        Assert.Equal(1.0, hsv[2], 6);
        Assert.Equal(1.0, hsv[3], 6);
        Assert.Equal(1.0, hsv[4], 6);
        Assert.Equal(0.8, hsv[5], 6);
    }

    [Fact]
    public void HsvToRgbFollowsTorchvisionsSectorTable()
    {
        // torchvision: i = floor(6H), f = 6H − i, p = V(1−S), q = V(1−S·f), t = V(1−S(1−f)),
        // sector 1 → (q, V, p), sector 4 → (t, p, V).
        var hsv = tensor(new float[] { 0.25f, 0.75f, 0.5f, 0.4f, 0.8f, 0.5f }).view(1, 3, 1, 2);
        var rgb = TestImages.Values(HsvColorSpace.HsvToRgb(hsv));
        // pixel 0: H .25 → 6H = 1.5, f .5, S .5, V .8: p .4, q .6 → (.6, .8, .4)
        // pixel 1: H .75 → 6H = 4.5, f .5, S .4, V .5: p .3, t .4 → (.4, .3, .5)
        float[] want = [0.6f, 0.4f, 0.8f, 0.3f, 0.4f, 0.5f];
        for (int i = 0; i < 6; i++) Assert.Equal(want[i], rgb[i], 6);
    }
}
