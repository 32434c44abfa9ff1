using Pretrain.Config;
using Pretrain.Methods.Losses;
using Pretrain.Mixing;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

/// <summary>docs/sdmp.md §4: λ = 1 is the own key's CE, λ = 0 the partner's, n = 1 and odd n pair a sample with itself.</summary>
public class SdmpLossPropertyTests
{
    private static (Tensor Q, Tensor K) Features(int n, int d)
    {
        var q = arange(n * d, ScalarType.Float32).reshape(n, d).mul(0.7).sin();
        var k = arange(n * d, ScalarType.Float32).reshape(n, d).mul(1.3).cos();
        return (q, k);
    }

    [Theory]
    [InlineData(SdmpTarget.SoftCe)]
    [InlineData(SdmpTarget.ProbMix)]
    public void LambdaOneIsTheOwnKeyCrossEntropy(SdmpTarget target)
    {
        using var scope = NewDisposeScope();
        var (q, k) = Features(5, 8);
        var lam = ones(5);
        var expected = MocoLoss.PerSample(q, k, 0.2);
        Assert.True(SdmpLoss.PerSample(q, k, lam, 1 - lam, 0.2, target).allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(expected.mean().item<float>(), SdmpLoss.Source(q, k, lam, 0.2, target).item<float>(), 5);
    }

    [Theory]
    [InlineData(SdmpTarget.SoftCe)]
    [InlineData(SdmpTarget.ProbMix)]
    public void LambdaZeroIsThePartnersCrossEntropy(SdmpTarget target)
    {
        using var scope = NewDisposeScope();
        var (q, k) = Features(4, 8);
        var lam = zeros(4);
        // Reversing the keys permutes the softmax's columns so that column i holds key p(i).
        var expected = MocoLoss.PerSample(q, Partner.Rows(k), 0.2);
        Assert.True(SdmpLoss.PerSample(q, k, lam, 1 - lam, 0.2, target).allclose(expected, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(expected.mean().item<float>(), SdmpLoss.Source(q, k, lam, 0.2, target).item<float>(), 5);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public void SelfPartnerGetsItsOwnKeyWhateverLambda(int n)
    {
        using var scope = NewDisposeScope();
        var (q, k) = Features(n, 6);
        var lam = full(n, 0.3f);
        int mid = n / 2;
        var own = MocoLoss.PerSample(q, k, 0.5)[mid].item<float>();
        foreach (var target in new[] { SdmpTarget.SoftCe, SdmpTarget.ProbMix })
        {
            var (sSelf, sFlip) = MixWeights.Source(lam);
            var (mSelf, mFlip) = MixWeights.Mix(lam);
            Assert.Equal(own, SdmpLoss.PerSample(q, k, sSelf, sFlip, 0.5, target)[mid].item<float>(), 5);
            Assert.Equal(own, SdmpLoss.PerSample(q, k, mSelf, mFlip, 0.5, target)[mid].item<float>(), 5);
        }
    }

    [Fact]
    public void ProbMixStaysFiniteWhenAPositiveIsVeryUnlikely()
    {
        using var scope = NewDisposeScope();
        var q = tensor(new float[] { 1, 0, -1, 0 }, [2, 2], requires_grad: true);
        var k = tensor(new float[] { 1, 0, -1, 0 }, [2, 2]);
        // τ = 0.005: the partner's probability is e^-400, far below float32's range.
        var loss = SdmpLoss.Source(q, k, tensor(new[] { 0.5f, 0.5f }), 0.005, SdmpTarget.ProbMix);
        loss.backward();
        Assert.True(float.IsFinite(loss.item<float>()));
        Assert.Equal(2 * 0.005 * Math.Log(2), loss.item<float>(), 5);
        Assert.True(q.grad!.isfinite().all().item<bool>());
    }
}
