using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class TruncatedNormalTests
{
    [Fact]
    public void WideCutOffsGiveTheNormalMoments()
    {
        manual_seed(21);
        var t = TruncatedNormal.Fill_(empty(200_000), std: 0.02);
        Assert.InRange(t.std().item<float>(), 0.0199, 0.0201);
        Assert.InRange(t.mean().item<float>(), -2e-4, 2e-4);
    }

    [Fact]
    public void NarrowCutOffsAreRespectedWithTheTruncatedVariance()
    {
        manual_seed(22);
        var t = TruncatedNormal.Fill_(empty(200_000), std: 1.0, a: -0.5, b: 0.5);
        Assert.True(t.abs().max().item<float>() <= 0.5f);
        // Var of N(0,1) cut to [-c, c]: 1 - 2cφ(c) / (2Φ(c) - 1); c = 0.5 gives std 0.2837.
        Assert.InRange(t.std().item<float>(), 0.2817, 0.2857);
    }
}
