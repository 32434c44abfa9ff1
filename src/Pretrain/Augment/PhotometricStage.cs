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
    public static bool InLoader(AugmentConfig cfg, Device device) => InLoader(cfg.StageKind, device);

    public static bool InLoader(AugmentStage stage, Device device) => stage switch
    {
        AugmentStage.Loader => true,
        AugmentStage.Device => false,
        _ => device.type == DeviceType.CPU,
    };

    /// <summary>The loader's photometric function (TrainLoaderOptions.Photometric), or null when the device runs it.</summary>
    public static Func<RawView, float[]>? ForLoader(AugmentConfig cfg, Device device, AugmentStage? stage = null)
    {
        if (!InLoader(stage ?? cfg.StageKind, device)) return null;
        var mean = cfg.Mean.Select(v => (float)v).ToArray();
        var std = cfg.Std.Select(v => (float)v).ToArray();
        return view => HostPhotometric.Apply(view, mean, std);
    }

    /// <summary>Loader options of a run config with the stage placed for this device; <paramref name="stage"/>
    /// overrides augment.stage (bench step keeps the ops in the timed step).</summary>
    public static TrainLoaderOptions LoaderOptions(RunConfig cfg, Device device, AugmentStage? stage = null) =>
        TrainLoaderOptions.FromConfig(cfg) with { Photometric = ForLoader(cfg.Augment, device, stage) };
}
