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
    /// Closed form of torchvision's six-sector table: channel n ∈ {R:5, G:3, B:1} is
    /// V − V·S·clamp(min(k, 4 − k), 0, 1) with k = (n + 6H) mod 6.
    /// </summary>
    public static Tensor HsvToRgb(Tensor hsv)
    {
        Grayscale.CheckRgb(hsv);
        using var scope = NewDisposeScope();
        var h = hsv.narrow(1, 0, 1);
        var s = hsv.narrow(1, 1, 1);
        var v = hsv.narrow(1, 2, 1);
        var k = ColorOps.Sectors(hsv).add(h.mul(6.0)).remainder_(6.0);
        var w = minimum(k, k.neg().add_(4.0)).clamp_(0.0, 1.0);
        return scope.MoveToOuter(v - (v * s) * w);
    }

    /// <summary>
    /// torchvision's hue before its "/6 + 1 mod 1": (B−G)/C where R is the max, 2 + (R−B)/C where G is,
    /// 4 + (G−R)/C otherwise (C = max − min; 0 for gray pixels). [N,1,H,W], in [−1, 5).
    /// </summary>
    internal static Tensor HueSixths(Tensor rgb, Tensor maxc, Tensor cr)
    {
        using var scope = NewDisposeScope();
        var divisor = cr.masked_fill(cr == 0, 1.0);
        // (max − c)/C per channel: rc, gc, bc of torchvision.
        var d = (maxc - rgb).div_(divisor);
        var rc = d.narrow(1, 0, 1);
        var gc = d.narrow(1, 1, 1);
        var bc = d.narrow(1, 2, 1);
        var hr = bc - gc;
        var hg = (rc - bc).add_(2.0);
        var hb = (gc - rc).add_(4.0);
        var isR = maxc == rgb.narrow(1, 0, 1);
        var isG = maxc == rgb.narrow(1, 1, 1);
        var h = where(isR, hr, where(isG, hg, hb));
        return scope.MoveToOuter(h);
    }
}
