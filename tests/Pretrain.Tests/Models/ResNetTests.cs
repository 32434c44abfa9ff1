using Pretrain.Config;
using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class ResNetTests
{
    private static readonly ResNetSettings Narrow = new(BlockKind.Basic, [1, 1, 1, 1], [16, 32, 64, 128], CifarStem: true);

    [Fact]
    public void CifarStemKeepsResolutionSoStagesDivideByEight()
    {
        var net = new ResNet(Narrow);
        var map = net.FeatureMap(randn(2, 3, 32, 32));
        Assert.Equal(new long[] { 2, 128, 4, 4 }, map.shape);
        Assert.Equal(new long[] { 2, 128 }, net.forward(randn(2, 3, 32, 32)).shape);
        Assert.Equal(128, net.FeatureDim);
    }

    [Fact]
    public void ImageNetStemDividesByThirtyTwo()
    {
        var net = new ResNet(Narrow with { CifarStem = false });
        Assert.Equal(new long[] { 1, 128, 2, 2 }, net.FeatureMap(randn(1, 3, 64, 64)).shape);
    }

    [Fact]
    public void ParameterCountsMatchTorchvisionWithoutTheClassifier()
    {
        // torchvision resnet18 / resnet50 totals minus their 1000-way fc.
        Assert.Equal(11_689_512L - 513_000L, new ResNet(ResNetSettings.ResNet18()).parameters().Sum(p => p.numel()));
        var r50 = new ResNet(ResNetSettings.ResNet50());
        Assert.Equal(25_557_032L - 2_049_000L, r50.parameters().Sum(p => p.numel()));
        Assert.Equal(2048, r50.FeatureDim);
        // The CIFAR stem swaps the 7×7 conv (9408 weights) for a 3×3 one (1728).
        Assert.Equal(11_176_512L - 9408 + 1728, new ResNet(ResNetSettings.ResNet18(cifarStem: true)).parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(BlockKind.Basic, 8, 8)]
    [InlineData(BlockKind.Bottleneck, 16, 4)]
    public void ZeroInitialisedResidualBlockStartsAsReluOfTheShortcut(BlockKind kind, int channels, int width)
    {
        manual_seed(5);
        var net = new ResNet(new ResNetSettings(kind, [2], [width], CifarStem: true));
        var block = net.modules().OfType<ResidualBlock>().Last();
        Assert.Equal(channels, block.OutChannels);
        Assert.Equal(0.0f, block.LastNorm.Weight!.abs().max().item<float>());
        block.train();
        var x = randn(4, channels, 5, 5);
        TensorAssert.Close(x.relu(), block.forward(x), 0, "block at init");
    }

    [Fact]
    public void WithoutZeroInitTheLastNormStartsAtOne()
    {
        var net = new ResNet(Narrow with { ZeroInitResidual = false });
        Assert.All(net.modules().OfType<ResidualBlock>(), b => Assert.Equal(1.0f, b.LastNorm.Weight!.min().item<float>()));
    }

    [Fact]
    public void ConvolutionsUseKaimingNormalFanOut()
    {
        manual_seed(6);
        var net = new ResNet(Narrow);
        var w = net.named_parameters().Single(p => p.name == "layer4.0.conv2.weight").parameter;
        double expected = Math.Sqrt(2.0 / (128 * 3 * 3));
        Assert.InRange(w.std().item<float>(), 0.97 * expected, 1.03 * expected);
    }

    [Fact]
    public void AllBatchNormsAreChunked()
    {
        var net = new ResNet(Narrow);
        Assert.Empty(net.modules().Where(m => m.GetType().Name.StartsWith("BatchNorm")));
        // stem + 2 per block + downsample in stages 2..4
        Assert.Equal(1 + 8 + 3, net.modules().OfType<ChunkedBatchNorm>().Count());
    }

    [Fact]
    public void ChannelsLastComputesTheSameNetworkInNhwcLayout()
    {
        // Same weights, same two-view batch: the channels-last network's features and gradients equal the
        // NCHW network's to float32 rounding (ATen's channels-last BatchNorm sums in another order), and
        // its feature map really is stored NHWC.
        manual_seed(9);
        var a = new ResNet(Narrow);
        var b = new ResNet(Narrow with { ChannelsLast = true });
        b.load_state_dict(a.state_dict());
        using (no_grad())
            foreach (var bn in a.modules().OfType<ChunkedBatchNorm>().Concat(b.modules().OfType<ChunkedBatchNorm>()))
                bn.Weight!.fill_(1.5); // undo the zero-init of the residual BNs so every layer carries gradient
        a.train(); b.train();
        var x = randn(8, 3, 16, 16);
        var upstream = randn(8, 128);
        Tensor fa, fb;
        using (BatchLayout.Scope(a, 2)) fa = a.forward(x);
        using (BatchLayout.Scope(b, 2)) fb = b.forward(x);
        TensorAssert.Close(fa, fb, 1e-4 * fa.abs().max().item<float>(), "features");
        fa.mul(upstream).sum().backward();
        fb.mul(upstream).sum().backward();
        var ga = a.parameters().Select(p => p.grad!.flatten()).ToArray();
        var gb = b.parameters().Select(p => p.grad!.flatten()).ToArray();
        var va = cat(ga, 0);
        var vb = cat(gb, 0);
        double rel = (va - vb).norm().item<float>() / va.norm().item<float>();
        Assert.True(rel < 1e-4, $"gradient relative difference {rel:E2}");
        for (int i = 0; i < ga.Length; i++)
            TensorAssert.Close(ga[i], gb[i], 1e-3 * ga[i].abs().max().item<float>() + 1e-6, $"grad {i}");
        a.eval(); b.eval();
        TensorAssert.Close(a.forward(x), b.forward(x), 1e-4 * fa.abs().max().item<float>(), "eval features");
        var map = b.FeatureMap(x);
        Assert.Equal(1L, map.stride(1));
        Assert.Equal(128L, map.stride(3));
    }

    [Fact]
    public void ChunkedForwardEqualsSeparateForwardsPerView()
    {
        manual_seed(8);
        var a = new ResNet(Narrow);
        var b = new ResNet(Narrow);
        b.load_state_dict(a.state_dict());
        a.train(); b.train();
        var v1 = randn(4, 3, 16, 16);
        var v2 = randn(4, 3, 16, 16);
        Tensor joint;
        using (BatchLayout.Scope(a, 2)) joint = a.forward(cat([v1, v2], 0));
        var separate = cat([b.forward(v1), b.forward(v2)], 0);
        TensorAssert.Close(separate, joint, 1e-5, "features");
        var bnA = a.modules().OfType<ChunkedBatchNorm>().Last();
        var bnB = b.modules().OfType<ChunkedBatchNorm>().Last();
        TensorAssert.Close(bnB.RunningVar, bnA.RunningVar, 1e-5, "running var");
    }
}
