using Pretrain.Config;
using Pretrain.Tests.Training;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

/// <summary>A tiny DINO run on 16×16 synthetic shapes: two global 16 px crops and four local 8 px crops,
/// DINO's schedules (teacher temperature warmup, weight-decay cosine, per-parameter clipping, frozen last
/// layer in epoch 0). 96 images / batch 16 = 6 steps per epoch.</summary>
internal static class DinoTinyRun
{
    public const int Batch = 16;

    public static RunConfig Config(bool sdmp = true)
    {
        var cfg = TinyRun.Config(sdmp, method: "dino");
        cfg.Augment.Views = [
            new ViewConfig { Name = "global1", CropSize = 16, Scale = [0.4, 1.0], BlurP = 0.0, SolarizeP = 0.0 },
            new ViewConfig { Name = "global2", CropSize = 16, Scale = [0.4, 1.0], BlurP = 0.0, SolarizeP = 0.2 },
            new ViewConfig { Name = "local", Count = 4, CropSize = 8, Scale = [0.1, 0.4], BlurP = 0.0, SolarizeP = 0.0 },
        ];
        cfg.Model.PosEmbed = "learned";
        cfg.Method.Dino.TeacherTemp = 0.07;
        cfg.Method.Dino.WarmupTeacherTemp = 0.04;
        cfg.Method.Dino.WarmupTeacherTempEpochs = 2;
        cfg.Method.Dino.FreezeLastLayer = 1;
        cfg.Optimizer.WeightDecay = 0.04;
        cfg.Optimizer.WeightDecayEnd = 0.4;
        cfg.Optimizer.ClipGrad = 3.0;
        cfg.Optimizer.ClipMode = "per_param";
        cfg.Optimizer.MinLr = 1e-6;
        return cfg;
    }

    /// <summary>Two global [B,3,16,16] and four local [B,3,8,8] crops of random pixels, from a fixed seed.</summary>
    public static Tensor[] RandomCrops(int batch = 4, long seed = 11)
    {
        manual_seed(seed);
        return [
            randn(batch, 3, 16, 16), randn(batch, 3, 16, 16),
            .. Enumerable.Range(0, 4).Select(_ => randn(batch, 3, 8, 8)),
        ];
    }
}
