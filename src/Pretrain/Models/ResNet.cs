using Pretrain.Config;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <param name="Layers">Blocks per stage; the first stage has stride 1, later ones stride 2.</param>
/// <param name="Widths">Block width per stage (output channels are width × expansion).</param>
/// <param name="CifarStem">3×3 stride-1 stem conv without max-pool, for 32×32 images.</param>
/// <param name="ChannelsLast">Activations stored NHWC (same shapes, channels-last strides): oneDNN's convolutions
/// need no layout reorders and BatchNorm runs ATen's channels-last kernel; a memory layout, not a parameter.</param>
public sealed record ResNetSettings(BlockKind Block, int[] Layers, int[] Widths, bool CifarStem = false, bool ZeroInitResidual = true, bool ChannelsLast = false)
{
    public static ResNetSettings ResNet18(bool cifarStem = false, bool zeroInitResidual = true) =>
        new(BlockKind.Basic, [2, 2, 2, 2], [64, 128, 256, 512], cifarStem, zeroInitResidual);

    public static ResNetSettings ResNet50(bool cifarStem = false, bool zeroInitResidual = true) =>
        new(BlockKind.Bottleneck, [3, 4, 6, 3], [64, 128, 256, 512], cifarStem, zeroInitResidual);
}

/// <summary>
/// torchvision ResNet without its classifier: stem (7×7/2 conv + BN + ReLU + 3×3/2 max-pool, or the
/// CIFAR 3×3/1 conv), residual stages, global average pooling. Convs kaiming-normal (fan_out, relu),
/// BN 1/0, and with ZeroInitResidual the last BN of each block starts at gamma 0.
/// </summary>
public sealed class ResNet : Backbone, IPrecisionLayer
{
    public ResNetSettings Settings { get; }
    public override int FeatureDim { get; }

    private readonly Conv2d _stemConv;
    private readonly ChunkedBatchNorm _stemNorm;
    private readonly List<Sequential> _stages = new();
    /// <summary>The stem convolution's compute dtype (the blocks have their own, set together by ComputePrecision.Apply).</summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public ResNet(ResNetSettings s) : base(nameof(ResNet))
    {
        if (s.Layers.Length == 0 || s.Layers.Length != s.Widths.Length)
            throw new ArgumentException($"ResNet needs as many widths as stages, got layers [{string.Join(",", s.Layers)}] widths [{string.Join(",", s.Widths)}]");
        if (s.Layers.Any(l => l <= 0) || s.Widths.Any(w => w <= 0))
            throw new ArgumentException("ResNet stage sizes and widths must be positive");
        Settings = s;
        int stemWidth = s.Widths[0];
        _stemConv = s.CifarStem
            ? nn.Conv2d(3, stemWidth, 3, stride: 1, padding: 1, bias: false)
            : nn.Conv2d(3, stemWidth, 7, stride: 2, padding: 3, bias: false);
        _stemNorm = new ChunkedBatchNorm(stemWidth);
        register_module("conv1", _stemConv);
        register_module("bn1", _stemNorm);

        int channels = stemWidth;
        for (int stage = 0; stage < s.Layers.Length; stage++)
        {
            var stageBlocks = new List<(string, nn.Module<Tensor, Tensor>)>();
            for (int b = 0; b < s.Layers[stage]; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                var block = new ResidualBlock(s.Block, channels, s.Widths[stage], stride);
                channels = block.OutChannels;
                stageBlocks.Add((b.ToString(), block));
            }
            var seq = nn.Sequential(stageBlocks.ToArray());
            _stages.Add(seq);
            register_module($"layer{stage + 1}", seq);
        }
        FeatureDim = channels;
        Initialise();
    }

    private void Initialise()
    {
        using var _ = no_grad();
        foreach (var m in modules())
        {
            if (m is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight!, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            else if (m is ChunkedBatchNorm bn && bn.Affine)
            {
                bn.Weight!.fill_(1);
                bn.Bias!.zero_();
            }
        }
        if (Settings.ZeroInitResidual)
            foreach (var block in modules().OfType<ResidualBlock>())
                block.LastNorm.Weight!.zero_();
    }

    /// <summary>The last stage's output before pooling: [B, FeatureDim, h, w].</summary>
    public Tensor FeatureMap(Tensor x)
    {
        if (x.ndim != 4 || x.shape[1] != 3)
            throw new ArgumentException($"ResNet expects [B, 3, H, W], got [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        // TorchSharp has no memory_format argument: an NHWC copy viewed back as [B, C, H, W] is the
        // channels-last tensor; convolutions, BatchNorm, ReLU and the residual adds keep that layout.
        if (Settings.ChannelsLast) x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var h = nn.functional.relu(_stemNorm.forward(Precision.Conv(_stemConv, x)));
        if (!Settings.CifarStem) h = nn.functional.max_pool2d(h, 3, stride: 2, padding: 1);
        foreach (var stage in _stages) h = stage.forward(h);
        return h.MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        using var map = FeatureMap(x);
        return map.mean([2, 3]);
    }

    /// <summary>A ResNet has no tokens: the pooled output is the only entry.</summary>
    public override BackboneTokens LastBlockTokens(Tensor x, int n, bool patchMean = true) => new([forward(x)], null);
}
