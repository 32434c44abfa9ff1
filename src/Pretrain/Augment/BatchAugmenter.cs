using Pretrain.Common;
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
        using var uploaded = Upload(view, device);
        return Apply(view, uploaded, normalize);
    }

    /// <summary>Every view of a batch on its way to the device (see <see cref="StagedBatch"/>).</summary>
    public static StagedBatch Stage(RawBatch raw, Device device) =>
        new(raw, raw.Views.Select(v => Upload(v, device)).ToArray());

    /// <summary>View <paramref name="index"/> of a staged batch, finished as <see cref="Apply(RawView, Device, bool)"/> does.</summary>
    public Tensor Apply(StagedBatch staged, int index, bool normalize = true) =>
        Apply(staged.Raw.Views[index], staged.Uploaded(index), normalize);

    /// <summary>The view's buffer on the device, as it is: normalized float [B,3,S,S] when the loader
    /// finished it, else uint8 [B,S,S,3]. On the CPU it shares the managed array (no copy); on CUDA it
    /// is a non-blocking copy from pinned memory (<see cref="HostToDevice"/>). Owned by the caller.</summary>
    public static Tensor Upload(RawView view, Device device)
    {
        int b = view.SampleKeys.Length, s = view.CropSize;
        using var scope = NewDisposeScope();
        Tensor host;
        if (view.Normalized is { } finished)
        {
            long count = (long)b * 3 * s * s;
            if (finished.LongLength != count)
                throw new ArgumentException($"expected {count} floats for {b}×3×{s}×{s}, got {finished.LongLength}");
            host = frombuffer(finished, ScalarType.Float32, count).view(b, 3, s, s);
        }
        else
        {
            long count = (long)b * s * s * 3;
            if (view.Pixels.LongLength != count)
                throw new ArgumentException($"expected {count} bytes for {b}×{s}×{s}×3, got {view.Pixels.LongLength}");
            host = frombuffer(view.Pixels, ScalarType.Byte, count).view(b, s, s, 3);
        }
        return HostToDevice.Copy(host, device).DetachFromDisposeScope();
    }

    private Tensor Apply(RawView view, Tensor uploaded, bool normalize)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (view.Normalized is not null)
        {
            var y = uploaded.alias();
            return scope.MoveToOuter(normalize ? y : Denormalize(y));
        }
        var x = ToFloat(uploaded);
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
        // the float volume.
        var raw = HostToDevice.Copy(frombuffer(hwc, ScalarType.Byte, count).view(batch, size, size, 3), device);
        return scope.MoveToOuter(ToFloat(raw));
    }

    /// <summary>uint8 [B,S,S,3] on the device → float [B,3,S,S] in [0,1]: one copy_ both converts and
    /// transposes HWC → CHW, then one in-place scale.</summary>
    private static Tensor ToFloat(Tensor raw)
    {
        var x = empty([raw.shape[0], 3, raw.shape[1], raw.shape[2]], ScalarType.Float32, raw.device);
        x.copy_(raw.permute(0, 3, 1, 2));
        x.div_(255.0);
        return x;
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
        HostToDevice.Copy(tensor(_cfg.Mean, dtype: x.dtype), x.device).view(1, 3, 1, 1),
        HostToDevice.Copy(tensor(_cfg.Std, dtype: x.dtype), x.device).view(1, 3, 1, 1));

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
        var param = HostToDevice.From(host, [b, 5], x.device);

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
