using Pretrain.Config;
using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

/// <summary>The by-hand autocast of training.precision, layer by layer: what is computed in bf16, what
/// stays fp32, and that gradients reach the fp32 master weights.</summary>
[Collection(TorchGlobalState.Name)]
public class ComputePrecisionTests
{
    [Fact]
    public void SpellingsParseToTheTwoPrecisions()
    {
        Assert.Equal(["fp32", "bf16"], Choice<PrecisionKind>.Names);
        Assert.Same(ComputePrecision.Fp32, ComputePrecision.Of(PrecisionKind.Fp32));
        Assert.Same(ComputePrecision.Bf16, ComputePrecision.Of(PrecisionKind.Bf16));
        Assert.Null(ComputePrecision.Fp32.Dtype);
        Assert.Equal(ScalarType.BFloat16, ComputePrecision.Bf16.Dtype);
        Assert.Equal("bf16", ComputePrecision.Bf16.ToString());
        Assert.Equal("fp32", new TrainingConfig().Precision);
        Assert.False(new TrainingConfig().Tf32);
    }

    [Fact]
    public void ABf16LinearComputesInBf16AndReturnsFp32GradientsToTheMasterWeights()
    {
        manual_seed(1);
        using var linear = nn.Linear(8, 4);
        var x = randn(3, 8);
        var y = ComputePrecision.Bf16.Linear(linear, x);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        var reference = linear.forward(x);
        // bf16 keeps 8 significant bits: the product agrees with fp32 to about 2^-8 relative.
        Assert.True((y.to(ScalarType.Float32) - reference).abs().max().item<float>() <= 2e-2f * reference.abs().max().item<float>());
        y.to(ScalarType.Float32).sum().backward();
        Assert.Equal(ScalarType.Float32, linear.weight!.dtype);
        Assert.Equal(ScalarType.Float32, linear.weight.grad!.dtype);
        // d(sum y)/dW[o, i] = Σ_b x[b, i] for every output o (up to the bf16 rounding of x).
        var expected = x.sum(0L).expand(4, 8);
        Assert.True((linear.weight.grad - expected).abs().max().item<float>() <= 2e-2f * expected.abs().max().item<float>());
    }

    [Fact]
    public void Fp32AddsNoOpAndGivesTheModulesOwnBits()
    {
        manual_seed(2);
        using var linear = nn.Linear(8, 4);
        using var conv = nn.Conv2d(3, 5, 3, stride: 2, padding: 1, bias: false);
        var x = randn(3, 8);
        var img = randn(2, 3, 9, 9);
        Assert.True(ComputePrecision.Fp32.Linear(linear, x).equal(linear.forward(x)).all().item<bool>());
        Assert.True(ComputePrecision.Fp32.Conv(conv, img).equal(conv.forward(img)).all().item<bool>());
        Assert.Same(x, ComputePrecision.Float32(x));
    }

    [Fact]
    public void ABf16ConvolutionKeepsStridePaddingAndShape()
    {
        manual_seed(3);
        using var conv = nn.Conv2d(3, 5, 3, stride: 2, padding: 1, bias: true);
        var img = randn(2, 3, 9, 9);
        var y = ComputePrecision.Bf16.Conv(conv, img);
        var reference = conv.forward(img);
        Assert.Equal(reference.shape, y.shape);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        Assert.True((y.to(ScalarType.Float32) - reference).abs().max().item<float>() <= 3e-2f * reference.abs().max().item<float>());
    }

    [Fact]
    public void BatchNormTakesABf16InputBackToFp32Statistics()
    {
        manual_seed(4);
        using var bn = new ChunkedBatchNorm(4);
        bn.train();
        var x = randn(16, 4) * 3 + 1;
        var y = bn.forward(x.to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.Float32, y.dtype);
        Assert.Equal(ScalarType.Float32, bn.RunningMean.dtype);
        // The running mean moved by momentum 0.1 towards the batch mean of the (bf16-rounded) input.
        var expected = x.to(ScalarType.BFloat16).to(ScalarType.Float32).mean([0]) * 0.1;
        Assert.True((bn.RunningMean - expected).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void DropPathOnABf16BranchDrawsTheFp32MasksAndReturnsFp32()
    {
        using var dp = new DropPath(0.5);
        dp.train();
        var x = ones(64, 3, 2);
        manual_seed(5);
        var full = dp.forward(x);
        manual_seed(5);
        var reduced = dp.forward(x.to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.Float32, reduced.dtype);
        Assert.True(full.equal(reduced).all().item<bool>(), "bf16 branch got other drop-path masks than fp32");
    }

    [Fact]
    public void ApplyReachesEveryLayerOfAViTAndItsOutputIsFp32()
    {
        manual_seed(6);
        using var vit = new VisionTransformer(new VitSettings(16, 4, 32, 2, 2, DropPath: 0.1));
        ComputePrecision.Apply(vit, ComputePrecision.Bf16);
        var layers = vit.modules().OfType<IPrecisionLayer>().Append(vit).ToList();
        Assert.Equal(1 + 2 * 2, layers.Count);   // the ViT, and attention + MLP per block
        Assert.All(layers, l => Assert.Same(ComputePrecision.Bf16, l.Precision));
        vit.train();
        var y = vit.forward(randn(2, 3, 16, 16));
        Assert.Equal(ScalarType.Float32, y.dtype);
        y.sum().backward();
        Assert.All(vit.parameters().Where(p => p.requires_grad), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));
    }

    [Fact]
    public void ABf16ViTGivesTheFp32FeaturesToBf16Accuracy()
    {
        // ViT-Tiny width, 4 blocks, 32 random 32×32 images: the recipe's error is bf16 rounding (2^-8 ≈ 3.9e-3
        // per op), measured 4.8e-3 relative over the batch's features; nothing is lost beyond that.
        manual_seed(1);
        using var vit = new VisionTransformer(new VitSettings(32, 4, 192, 4, 3));
        vit.eval();
        var x = randn(32, 3, 32, 32);
        using var _ = no_grad();
        var f = vit.forward(x);
        ComputePrecision.Apply(vit, ComputePrecision.Bf16);
        var g = vit.forward(x);
        Assert.Equal(ScalarType.Float32, g.dtype);
        double rel = ((g - f).norm() / f.norm()).item<float>();
        Assert.InRange(rel, 1e-4, 1e-2);   // above 1e-4: it did compute in bf16
    }
}
