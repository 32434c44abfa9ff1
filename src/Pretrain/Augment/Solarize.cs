using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// Solarize as PIL.ImageOps.solarize / torchvision: values ≥ threshold become 1 − x (threshold 0.5 ≡
/// PIL's 128 on bytes, since 127/255 &lt; 0.5 ≤ 128/255), only for samples whose mask is set.
/// </summary>
public static class Solarize
{
    /// <summary>x [N,C,H,W] in [0,1], mask [N] bool.</summary>
    public static Tensor Apply(Tensor x, Tensor mask, double threshold = 0.5)
    {
        if (x.dim() != 4) throw new ArgumentException("expected an [N,C,H,W] batch");
        if (mask.numel() != x.shape[0]) throw new ArgumentException($"expected {x.shape[0]} mask values, got {mask.numel()}");
        using var scope = NewDisposeScope();
        var m = mask.to(ScalarType.Bool, x.device).reshape(-1, 1, 1, 1);
        var flip = x.ge(threshold).logical_and_(m);
        return scope.MoveToOuter(where(flip, x.neg().add_(1.0), x));
    }
}
