using Pretrain.Config;
using Pretrain.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// augment.stage resolved for a training device. On a CPU device the batched tensor ops would run on
/// the same cores as decoding, with a full-batch pass per op; per sample in the loader workers the
/// crop stays in cache and the work overlaps with the training step. On a GPU the stage belongs on
/// the device and the CPU only decodes.
/// </summary>
public static class PhotometricStage
{
    public static bool InLoader(AugmentConfig cfg, Device device) => cfg.Stage switch
    {
        "loader" => true,
        "device" => false,
        "auto" => device.type == DeviceType.CPU,
        _ => throw new ArgumentException($"augment.stage must be auto, loader or device, got '{cfg.Stage}'"),
    };

    /// <summary>The loader's photometric function (TrainLoaderOptions.Photometric), or null when the device runs it.</summary>
    public static Func<RawView, float[]>? ForLoader(AugmentConfig cfg, Device device)
    {
        if (!InLoader(cfg, device)) return null;
        var mean = cfg.Mean.Select(v => (float)v).ToArray();
        var std = cfg.Std.Select(v => (float)v).ToArray();
        return view => HostPhotometric.Apply(view, mean, std);
    }

    /// <summary>Loader options of a run config with the stage placed for this device.</summary>
    public static TrainLoaderOptions LoaderOptions(RunConfig cfg, Device device, int rank = 0, int worldSize = 1) =>
        TrainLoaderOptions.FromConfig(cfg, rank, worldSize) with { Photometric = ForLoader(cfg.Augment, device) };
}
