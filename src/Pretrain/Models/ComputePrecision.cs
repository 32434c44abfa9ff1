using Pretrain.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// The dtype the matmul-class layers compute in (training.precision). TorchSharp has no autocast, so
/// this is autocast by hand (README.md, "Precision"): with bf16, a Linear or convolution casts its
/// input, weight and bias to bf16 inside the graph, so autograd returns fp32 gradients to the fp32
/// master weights; attention runs on the bf16 q/k/v the qkv projection produced (its softmax
/// accumulates in fp32 inside the kernel). Everything else stays fp32: the residual stream (by type
/// promotion, fp32 + bf16 = fp32), LayerNorm (its input is the fp32 stream), BatchNorm (its input is
/// cast back to fp32 before the statistics), the L2 normalisations, the losses (the methods take the
/// heads' outputs to fp32), the DINO center, the EMA and the optimizer. fp32 adds no op at all: every
/// layer calls its module's own forward, so the numerics are those of the code before this setting.
/// </summary>
public sealed class ComputePrecision
{
    public static readonly ComputePrecision Fp32 = new(PrecisionKind.Fp32, null);
    public static readonly ComputePrecision Bf16 = new(PrecisionKind.Bf16, ScalarType.BFloat16);

    public PrecisionKind Kind { get; }
    /// <summary>The reduced compute dtype; null for fp32 (no casts).</summary>
    public ScalarType? Dtype { get; }
    public bool Reduced => Dtype is not null;

    private ComputePrecision(PrecisionKind kind, ScalarType? dtype) => (Kind, Dtype) = (kind, dtype);

    public static ComputePrecision Of(PrecisionKind kind) => kind switch
    {
        PrecisionKind.Fp32 => Fp32,
        PrecisionKind.Bf16 => Bf16,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unhandled training.precision"),
    };

    public override string ToString() => Choice<PrecisionKind>.Name(Kind);

    /// <summary>layer(x), in the compute dtype.</summary>
    public Tensor Linear(Linear layer, Tensor x) =>
        Dtype is { } d ? nn.functional.linear(x.to(d), layer.weight!.to(d), layer.bias?.to(d)) : layer.forward(x);

    /// <summary>x·Wᵀ (+ b), in the compute dtype (a weight computed in fp32, e.g. weight normalisation).</summary>
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Dtype is { } d ? nn.functional.linear(x.to(d), weight.to(d), bias?.to(d)) : nn.functional.linear(x, weight, bias);

    /// <summary>conv(x), in the compute dtype. Zero padding given as numbers (every convolution of the models).</summary>
    public Tensor Conv(Conv2d conv, Tensor x)
    {
        if (Dtype is not { } d) return conv.forward(x);
        if (conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null)
            throw new NotSupportedException($"{this} convolution supports zero padding given as numbers only");
        return nn.functional.conv2d(x.to(d), conv.weight.to(d), conv.bias?.to(d), conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    /// <summary>x as float32: the same tensor when it is float32 already (no op), else a cast.</summary>
    public static Tensor Float32(Tensor x) => x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);

    /// <summary>Sets the precision of every layer under <paramref name="root"/> (and root itself).</summary>
    public static void Apply(nn.Module root, ComputePrecision precision)
    {
        ArgumentNullException.ThrowIfNull(precision);
        foreach (var m in root.modules().Prepend(root))
            if (m is IPrecisionLayer layer) layer.Precision = precision;
    }
}

/// <summary>A module whose Linear / convolution / attention compute follows a <see cref="ComputePrecision"/>.</summary>
public interface IPrecisionLayer
{
    ComputePrecision Precision { get; set; }
}
