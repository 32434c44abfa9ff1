using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// Stochastic depth (DINO / timm <c>drop_path</c>): in training mode each sample's residual branch is
/// zeroed with probability <see cref="Rate"/> and kept samples are scaled by 1/(1-rate), so the
/// expectation is unchanged; in eval mode it is the identity. The per-sample draws come from torch's
/// generator of the input's device, which the trainer seeds.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    public double Rate { get; }

    public DropPath(double rate) : base(nameof(DropPath))
    {
        if (rate < 0 || rate >= 1) throw new ArgumentOutOfRangeException(nameof(rate), "drop path rate must be in [0, 1)");
        Rate = rate;
    }

    public override Tensor forward(Tensor x)
    {
        if (!training || Rate == 0) return x.alias();
        double keep = 1.0 - Rate;
        var maskShape = new long[x.ndim];
        maskShape[0] = x.shape[0];
        for (int i = 1; i < maskShape.Length; i++) maskShape[i] = 1;
        using var mask = rand(maskShape, dtype: x.dtype, device: x.device).add_(keep).floor_();
        return x.div(keep).mul(mask);
    }
}
