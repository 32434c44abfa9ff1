using Pretrain.Config;
using Pretrain.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// The photometric half of the view pipelines, on the training device and vectorised over the batch:
/// uint8 HWC → float [B,3,S,S] in [0,1], then (MoCo v3 / BYOL order) colour jitter with probability
/// jitter_p in a random order per sample, grayscale, Gaussian blur, solarize, normalize.
/// Per-sample parameters are drawn on the host (PhotometricParams) and uploaded once per batch, with
/// one index tensor holding every subset and layout (which samples take which op, at which step), all
/// known on the host: each op runs once per batch (jitter: once per step) on the gathered samples that
/// take it, so there is no per-sample tensor work and no device→host sync.
/// </summary>
public sealed class BatchAugmenter
{
    private readonly AugmentConfig _cfg;

    public BatchAugmenter(AugmentConfig cfg)
    {
        if (cfg.Mean is not { Length: 3 } || cfg.Std is not { Length: 3 } || cfg.Std.Any(s => s <= 0))
            throw new ArgumentException("augment.mean and augment.std need 3 values, std > 0");
        _cfg = cfg;
    }

    /// <summary>One view of a batch → [B,3,S,S] float32 on device, normalized unless asked not to.
    /// A view the loader already finished (RawView.Normalized) is only uploaded; on the CPU the tensor
    /// shares the view's array.</summary>
    public Tensor Apply(RawView view, Device device, bool normalize = true)
    {
        int b = view.SampleKeys.Length;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (view.Normalized is { } finished)
        {
            long count = (long)b * 3 * view.CropSize * view.CropSize;
            if (finished.LongLength != count)
                throw new ArgumentException($"expected {count} floats for {b}×3×{view.CropSize}×{view.CropSize}, got {finished.LongLength}");
            var y = frombuffer(finished, ScalarType.Float32, count).view(b, 3, view.CropSize, view.CropSize).to(device);
            return scope.MoveToOuter(normalize ? y : Denormalize(y));
        }
        var x = ToTensor(view.Pixels, b, view.CropSize, device);
        ApplyInPlace(x, PhotometricParams.Draw(view.Config, view.SampleKeys));
        if (normalize) NormalizeInPlace(x);
        return scope.MoveToOuter(x);
    }

    /// <summary>The photometric ops with explicit parameters, on x [B,3,H,W] in [0,1] (x is left as is).</summary>
    public static Tensor Apply(Tensor x, PhotometricParams p)
    {
        using var _ = no_grad();
        return ApplyInPlace(x.clone(), p);
    }

    /// <summary>uint8 HWC bytes of a batch → float [B,3,S,S] in [0,1] on device.</summary>
    public Tensor ToTensor(byte[] hwc, int batch, int size, Device device)
    {
        long count = (long)batch * size * size * 3;
        if (hwc.LongLength != count)
            throw new ArgumentException($"expected {count} bytes for {batch}×{size}×{size}×3, got {hwc.LongLength}");
        using var scope = NewDisposeScope();
        // Shares the managed array (no copy); only the uint8 bytes travel to the device, a quarter of
        // the float volume. One copy_ both converts and transposes HWC → CHW, then one in-place scale.
        var raw = frombuffer(hwc, ScalarType.Byte, count).view(batch, size, size, 3).to(device);
        var x = empty([batch, 3, size, size], ScalarType.Float32, device);
        x.copy_(raw.permute(0, 3, 1, 2));
        x.div_(255.0);
        return scope.MoveToOuter(x);
    }

    /// <summary>x · std + mean per channel, as a new tensor (undoes Normalize).</summary>
    public Tensor Denormalize(Tensor x)
    {
        Grayscale.CheckRgb(x);
        using var scope = NewDisposeScope();
        var (mean, std) = ChannelStats(x);
        return scope.MoveToOuter(x.mul(std).add_(mean));
    }

    /// <summary>(x − mean) / std per channel, as a new tensor.</summary>
    public Tensor Normalize(Tensor x) => NormalizeInPlace(x.clone());

    private Tensor NormalizeInPlace(Tensor x)
    {
        Grayscale.CheckRgb(x);
        using var scope = NewDisposeScope();
        var (mean, std) = ChannelStats(x);
        x.sub_(mean).div_(std);
        return x;
    }

    private (Tensor Mean, Tensor Std) ChannelStats(Tensor x) => (
        tensor(_cfg.Mean, dtype: x.dtype, device: x.device).view(1, 3, 1, 1),
        tensor(_cfg.Std, dtype: x.dtype, device: x.device).view(1, 3, 1, 1));

    internal static Tensor ApplyInPlace(Tensor x, PhotometricParams p)
    {
        Grayscale.CheckRgb(x);
        int b = p.Count;
        if (x.shape[0] != b) throw new ArgumentException($"batch of {x.shape[0]} with parameters for {b}");
        using var scope = NewDisposeScope();

        // One host→device copy for the per-sample values and one for every index list of the batch.
        const int SigmaColumn = 4;
        var host = new float[b * 5];
        for (int i = 0; i < b; i++)
        {
            host[5 * i + PhotometricParams.BrightnessOp] = (float)p.Brightness[i];
            host[5 * i + PhotometricParams.ContrastOp] = (float)p.Contrast[i];
            host[5 * i + PhotometricParams.SaturationOp] = (float)p.Saturation[i];
            host[5 * i + PhotometricParams.HueOp] = (float)p.Hue[i];
            host[5 * i + SigmaColumn] = (float)p.Sigma[i];
        }
        var param = tensor(host, dtype: ScalarType.Float32).view(b, 5).to(x.device);

        int[] Where(bool[] flags) => Enumerable.Range(0, b).Where(i => flags[i]).ToArray();
        var plan = ColorJitter.MakePlan(p);
        var lists = new List<int[]> { Where(p.Grayscale), Where(p.Blur), Where(p.Solarize) };
        const int GraySet = 0, BlurSet = 1, SolarizeSet = 2, JitterSets = 3;
        lists.AddRange(ColorJitter.IndexSets(plan));
        var sets = new BatchSubsets(lists, b, x.device);

        // MoCo v3 / BYOL order: jitter, grayscale, blur, solarize.
        ColorJitter.ApplyInPlace(x, plan, param, sets, JitterSets);
        sets.Apply(x, GraySet, (s, _) => Grayscale.Apply(s));
        int radius = GaussianBlur.RadiusFor(p.SigmaMax);
        sets.Apply(x, BlurSet, (s, idx) => GaussianBlur.Apply(s, param.select(1, SigmaColumn).index_select(0, idx), radius));
        sets.Apply(x, SolarizeSet, (s, _) => Solarize.Apply(s, ones(s.shape[0], ScalarType.Bool, s.device)));
        return x;
    }
}
