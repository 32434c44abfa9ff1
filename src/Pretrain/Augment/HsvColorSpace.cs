using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// RGB ↔ HSV for [N,3,H,W] batches in [0,1], torchvision's _rgb2hsv / _hsv2rgb (H, S, V all in [0,1]).
/// </summary>
public static class HsvColorSpace
{
    public static Tensor RgbToHsv(Tensor rgb)
    {
        Grayscale.CheckRgb(rgb);
        using var scope = NewDisposeScope();
        var maxc = rgb.amax([1], keepdim: true);
        var minc = rgb.amin([1], keepdim: true);
        var cr = maxc - minc;
        var h = HueSixths(rgb, maxc, cr).div_(6.0).add_(1.0).fmod_(1.0);
        var s = cr / where(maxc == minc, ones_like(maxc), maxc);
        return scope.MoveToOuter(cat([h, s, maxc], 1));
    }

    /// <summary>
    /// Closed form of torchvision's six-sector table: channel c is V − V·S·(1 − f_c(6H)) with the
    /// full-saturation hue ramps f_c of ColorOps.AdjustHue.
    /// </summary>
    public static Tensor HsvToRgb(Tensor hsv)
    {
        Grayscale.CheckRgb(hsv);
        using var scope = NewDisposeScope();
        var h = hsv.narrow(1, 0, 1);
        var s = hsv.narrow(1, 1, 1);
        var v = hsv.narrow(1, 2, 1);
        var ramp = (h.mul(6.0).remainder_(6.0) - ColorOps.RampOffset(hsv))
            .abs_().mul_(ColorOps.RampSign(hsv)).add_(ColorOps.RampBias(hsv)).clamp_(0.0, 1.0);
        return scope.MoveToOuter(v - (v * s) * ramp.neg_().add_(1.0));
    }

    /// <summary>
    /// torchvision's hue before its "/6 + 1 mod 1": (G−B)/C where R is the max, 2 + (B−R)/C where G is,
    /// 4 + (R−G)/C otherwise (C = max − min; 0 for gray pixels). [N,1,H,W], in [−1, 5).
    /// </summary>
    internal static Tensor HueSixths(Tensor rgb, Tensor maxc, Tensor cr)
    {
        using var scope = NewDisposeScope();
        var r = rgb.narrow(1, 0, 1);
        var g = rgb.narrow(1, 1, 1);
        var b = rgb.narrow(1, 2, 1);
        // Numerators over C, selected before the one division. Selection by 0/1 float masks rather than
        // torch.where / masked_fill: those ran 5–7× slower than arithmetic passes on libtorch CPU.
        var fromR = g - b;
        var fromG = (b - r).add_(cr, 2.0);
        var fromB = (r - g).add_(cr, 4.0);
        var notR = maxc.ne(r);
        var isR = notR.logical_not().to(rgb.dtype);
        var isG = maxc.eq(g).logical_and_(notR).to(rgb.dtype);
        var h = fromB.clone()
            .addcmul_(isR, fromR.sub_(fromB), 1.0)
            .addcmul_(isG, fromG.sub_(fromB), 1.0);
        // Gray pixels (C = 0) have a zero numerator (R is the max, G = B), so any positive divisor gives
        // torchvision's h = 0; below 1e-12 the hue only scales a chroma too small to matter.
        h.div_(cr.clamp_min(1e-12));
        return scope.MoveToOuter(h);
    }
}
