using Pretrain.Augment;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

public class SolarizeTests
{
    [Fact]
    public void InvertsValuesAtOrAboveTheThresholdOnlyInMaskedSamples()
    {
        var one = new float[] { 0.49f, 0.5f, 0.51f, 1f };
        var x = tensor(one.Concat(one).Concat(one).Concat(one).Concat(one).Concat(one).ToArray()).view(2, 3, 1, 4);
        var y = TestImages.Values(Solarize.Apply(x, tensor(new[] { true, false })));
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0.49f, y[c * 4 + 0]);
            Assert.Equal(0.5f, y[c * 4 + 1], 6);
            Assert.Equal(0.49f, y[c * 4 + 2], 6);
            Assert.Equal(0f, y[c * 4 + 3]);
            Assert.Equal(one, y.Skip(12 + c * 4).Take(4).ToArray());
        }
    }

    [Fact]
    public void ThresholdIsAParameter()
    {
        var x = tensor(new float[] { 0.2f, 0.3f, 0.4f }).view(1, 3, 1, 1);
        var y = TestImages.Values(Solarize.Apply(x, tensor(new[] { true }), threshold: 0.3));
        Assert.Equal(0.2f, y[0]);
        Assert.Equal(0.7f, y[1], 6);
        Assert.Equal(0.6f, y[2], 6);
    }
}
