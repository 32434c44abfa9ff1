using Pretrain.Common;
using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// torchvision's colour adjustments on float batches [N,3,H,W] in [0,1], with one factor per sample
/// (a [N] tensor). Each result is clamped to [0,1] as torchvision's _blend does. The public functions
/// leave their input untouched; the *InPlace forms overwrite it, for the augmenter, which owns its
/// batch (a fresh 38 MB tensor per op would cost more in page faults than the arithmetic).
/// </summary>
public static class ColorOps
{
    /// <summary>Blend with black: f·x.</summary>
    public static Tensor AdjustBrightness(Tensor x, Tensor factor) => AdjustBrightnessInPlace(x.clone(), factor);

    /// <summary>Blend with the mean of the sample's grayscale image: f·x + (1−f)·mean(gray).</summary>
    public static Tensor AdjustContrast(Tensor x, Tensor factor) => AdjustContrastInPlace(x.clone(), factor);

    /// <summary>Blend with the grayscale image: f·x + (1−f)·gray. Factor 0 gives grayscale.</summary>
    public static Tensor AdjustSaturation(Tensor x, Tensor factor) => AdjustSaturationInPlace(x.clone(), factor);

    /// <summary>Rotate the hue by shift (in turns, torchvision's hue_factor ∈ [−0.5, 0.5]).</summary>
    public static Tensor AdjustHue(Tensor x, Tensor shift) => AdjustHueInPlace(x.clone(), shift);

    internal static Tensor AdjustBrightnessInPlace(Tensor x, Tensor factor)
    {
        Grayscale.CheckRgb(x);
        return x.mul_(PerSample(factor, x)).clamp_(0.0, 1.0);
    }

    internal static Tensor AdjustContrastInPlace(Tensor x, Tensor factor)
    {
        Grayscale.CheckRgb(x);
        using var scope = NewDisposeScope();
        var f = PerSample(factor, x);
        var mean = Grayscale.Luma(x).mean([1, 2, 3], keepdim: true);
        x.mul_(f).add_(mean.mul(f.neg().add_(1.0))).clamp_(0.0, 1.0);
        return x;
    }

    internal static Tensor AdjustSaturationInPlace(Tensor x, Tensor factor)
    {
        Grayscale.CheckRgb(x);
        using var scope = NewDisposeScope();
        var f = PerSample(factor, x);
        var gray = Grayscale.Luma(x).mul_(f.neg().add_(1.0));
        x.mul_(f).add_(gray).clamp_(0.0, 1.0);
        return x;
    }

    /// <summary>
    /// torchvision's _rgb2hsv → h = (h + shift) mod 1 → _hsv2rgb, fused. The shift keeps S and V, and
    /// V·S = max − min = C, so each channel is min + C·f_c(6h) with the full-saturation hue ramps
    /// f_R = clamp(|6h − 3| − 1, 0, 1), f_G = clamp(2 − |6h − 2|, 0, 1), f_B = clamp(2 − |6h − 4|, 0, 1)
    /// (the closed form of _hsv2rgb's six-sector table). Needs no division by V and no [6,3,...]
    /// selection tensor: about a third of torchvision's full-size passes.
    /// </summary>
    internal static Tensor AdjustHueInPlace(Tensor x, Tensor shift)
    {
        Grayscale.CheckRgb(x);
        using var scope = NewDisposeScope();
        var s = PerSample(shift, x);
        var maxc = x.amax([1], keepdim: true);
        var minc = x.amin([1], keepdim: true);
        var cr = maxc - minc;
        // 6h in [0, 6): torchvision's (h/6 + 1) mod 1, then + shift mod 1, all scaled by 6.
        var h6 = HsvColorSpace.HueSixths(x, maxc, cr).add_(s.mul(6.0)).remainder_(6.0);
        var ramp = h6 - RampOffset(x);                       // [N,3,H,W]
        ramp.abs_().mul_(RampSign(x)).add_(RampBias(x)).clamp_(0.0, 1.0);
        x.copy_(ramp.mul_(cr).add_(minc));
        return x;
    }

    // f_c = clamp(sign_c·|6h − offset_c| + bias_c, 0, 1) for c = R, G, B.
    internal static Tensor RampOffset(Tensor like) => Channels(like, 3, 2, 4);
    internal static Tensor RampSign(Tensor like) => Channels(like, 1, -1, -1);
    internal static Tensor RampBias(Tensor like) => Channels(like, -1, 2, 2);

    private static Tensor Channels(Tensor like, float r, float g, float b) =>
        HostToDevice.From(new[] { r, g, b }, [3], like.device).to(like.dtype).view(1, 3, 1, 1);

    /// <summary>A [N] (or [N,1,1,1]) parameter as [N,1,1,1] in x's dtype and device.</summary>
    internal static Tensor PerSample(Tensor p, Tensor x)
    {
        if (p.numel() != x.shape[0])
            throw new ArgumentException($"expected {x.shape[0]} per-sample values, got {p.numel()}");
        return p.to(x.dtype, x.device).reshape(x.shape[0], 1, 1, 1);
    }
}
