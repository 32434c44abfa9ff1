using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// In-place truncated-normal fill, the algorithm of torch.nn.init.trunc_normal_ (inverse CDF of a
/// uniform draw, then clamp). TorchSharp 0.107's own trunc_normal_ fills every element with
/// <c>std</c>, so DINO's initialisation must not use it.
/// </summary>
public static class TruncatedNormal
{
    /// <param name="a">Lower cut-off in absolute units (DINO/timm: -2, i.e. effectively untruncated for std 0.02).</param>
    /// <param name="b">Upper cut-off in absolute units.</param>
    public static Tensor Fill_(Tensor tensor, double mean = 0.0, double std = 1.0, double a = -2.0, double b = 2.0)
    {
        if (std <= 0 || a >= b) throw new ArgumentException($"invalid truncated normal std={std} on [{a}, {b}]");
        double lower = NormalCdf((a - mean) / std), upper = NormalCdf((b - mean) / std);
        using var _ = no_grad();
        return tensor.uniform_(2 * lower - 1, 2 * upper - 1).erfinv_().mul_(std * Math.Sqrt(2.0)).add_(mean).clamp_(a, b);
    }

    private static double NormalCdf(double x)
    {
        using var t = tensor(x / Math.Sqrt(2.0), dtype: ScalarType.Float64);
        using var e = t.erf();
        return (1.0 + e.item<double>()) / 2.0;
    }
}
