using Pretrain.Config;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// A torchvision ResNet block, <see cref="BlockKind.Basic"/> (two 3×3 convs, expansion 1) or
/// <see cref="BlockKind.Bottleneck"/> (1×1, 3×3 carrying the stride, 1×1 to 4× width: ResNet v1.5):
/// relu(branch(x) + shortcut(x)), the shortcut a strided 1×1 conv + BN when the shape changes.
/// </summary>
public sealed class ResidualBlock : nn.Module<Tensor, Tensor>, IPrecisionLayer
{
    public BlockKind Kind { get; }
    public int OutChannels { get; }

    private readonly Conv2d[] _convs;
    private readonly ChunkedBatchNorm[] _norms;
    private readonly Sequential? _downsample;
    private readonly Conv2d? _downConv;
    private readonly ChunkedBatchNorm? _downNorm;
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public static int Expansion(BlockKind kind) => kind == BlockKind.Bottleneck ? 4 : 1;

    public ResidualBlock(BlockKind kind, int inChannels, int width, int stride) : base(nameof(ResidualBlock))
    {
        Kind = kind;
        OutChannels = width * Expansion(kind);
        if (kind == BlockKind.Basic)
        {
            _convs = [Conv3x3(inChannels, width, stride), Conv3x3(width, width, 1)];
            _norms = [new ChunkedBatchNorm(width), new ChunkedBatchNorm(width)];
        }
        else
        {
            _convs = [nn.Conv2d(inChannels, width, 1, bias: false), Conv3x3(width, width, stride),
                      nn.Conv2d(width, OutChannels, 1, bias: false)];
            _norms = [new ChunkedBatchNorm(width), new ChunkedBatchNorm(width), new ChunkedBatchNorm(OutChannels)];
        }
        for (int i = 0; i < _convs.Length; i++)
        {
            register_module($"conv{i + 1}", _convs[i]);
            register_module($"bn{i + 1}", _norms[i]);
        }
        if (stride != 1 || inChannels != OutChannels)
        {
            _downConv = nn.Conv2d(inChannels, OutChannels, 1, stride: stride, bias: false);
            _downNorm = new ChunkedBatchNorm(OutChannels);
            _downsample = nn.Sequential(("0", _downConv), ("1", _downNorm));
            register_module("downsample", _downsample);
        }
    }

    private static Conv2d Conv3x3(int inChannels, int outChannels, int stride) =>
        nn.Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false);

    /// <summary>The BN closing the residual branch; zeroing its gamma makes the block start as relu(shortcut).</summary>
    public ChunkedBatchNorm LastNorm => _norms[^1];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x;
        for (int i = 0; i < _convs.Length; i++)
        {
            h = _norms[i].forward(Precision.Conv(_convs[i], h));
            if (i < _convs.Length - 1) h = nn.functional.relu(h);
        }
        var shortcut = _downsample is null ? x
            : Precision.Reduced ? _downNorm!.forward(Precision.Conv(_downConv!, x)) : _downsample.forward(x);
        return nn.functional.relu(h.add(shortcut)).MoveToOuterDisposeScope();
    }
}

