using Pretrain.Augment;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

public class GrayscaleTests
{
    [Fact]
    public void LumaUsesItu601WeightsAndIsReplicatedToThreeChannels()
    {
        // Pixels: pure R, pure G, pure B, (0.2, 0.4, 0.6).
        var img = tensor(new float[] { 1, 0, 0, 0.2f, 0, 1, 0, 0.4f, 0, 0, 1, 0.6f }).view(1, 3, 1, 4);
        var g = TestImages.Values(Grayscale.Apply(img));
        double[] luma = [0.299, 0.587, 0.114, 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6];
        Assert.Equal(12, g.Length);
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < 4; p++)
                Assert.Equal(luma[p], g[c * 4 + p], 6);
    }

    [Fact]
    public void LumaHasOneChannelPerSample()
    {
        var x = TestImages.Uniform(3, 2, 3, 4, 5);
        var l = Grayscale.Luma(x);
        Assert.Equal(new long[] { 2, 1, 4, 5 }, l.shape);
        var v = TestImages.Values(x);
        var lv = TestImages.Values(l);
        Assert.Equal(0.299 * v[60 + 7] + 0.587 * v[60 + 20 + 7] + 0.114 * v[60 + 40 + 7], lv[20 + 7], 6);
    }

    [Fact]
    public void RejectsNonRgbBatches() =>
        Assert.Throws<ArgumentException>(() => Grayscale.Luma(zeros(2, 1, 4, 4)));
}
