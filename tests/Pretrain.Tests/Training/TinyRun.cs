using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Training;
using Serilog.Core;
using Serilog;
using Xunit;

namespace Pretrain.Tests.Training;

/// <summary>A tiny MoCo v3 + SDMP run on synthetic 16×16 shapes: a few steps take well under a second.</summary>
internal static class TinyRun
{
    public static RunConfig Config(bool sdmp = true, string method = "mocov3")
    {
        var cfg = new RunConfig();
        cfg.Experiment.Seed = 3;
        cfg.Experiment.Device = TestDevice.Name;
        cfg.Experiment.Threads = 1;
        cfg.Data.Source = "synthetic";
        cfg.Data.ImageSize = 16;
        cfg.Data.Workers = 2;
        cfg.Data.Prefetch = 2;
        cfg.Data.Synthetic.TrainSize = 96;
        cfg.Data.Synthetic.ValSize = 32;
        cfg.Data.Synthetic.Size = 16;
        cfg.Augment.Views = [
            new ViewConfig { Name = "v1", CropSize = 16, Scale = [0.3, 1.0], BlurP = 0.5, SolarizeP = 0.0 },
            new ViewConfig { Name = "v2", CropSize = 16, Scale = [0.3, 1.0], BlurP = 0.1, SolarizeP = 0.2 },
        ];
        cfg.Augment.EvalResize = 16;
        cfg.Model.Arch = "vit";
        cfg.Model.PatchSize = 4;
        cfg.Model.EmbedDim = 32;
        cfg.Model.Depth = 1;
        cfg.Model.NumHeads = 2;
        cfg.Model.DropPath = 0.1;
        cfg.Method.Name = method;
        cfg.Method.Mocov3.HiddenDim = 64;
        cfg.Method.Mocov3.OutDim = 16;
        cfg.Method.Dino.OutDim = 64;
        cfg.Method.Dino.HiddenDim = 64;
        cfg.Method.Dino.BottleneckDim = 16;
        cfg.Sdmp.Enabled = sdmp;
        cfg.Optimizer.Name = "adamw";
        cfg.Optimizer.Lr = 1e-3;
        cfg.Optimizer.WarmupEpochs = 1;
        cfg.Training.Epochs = 4;
        cfg.Training.BatchSize = 16;
        cfg.Training.LogEverySteps = 1;
        cfg.Training.KeepLast = 5;
        cfg.Logging.Tensorboard = false;
        return cfg;
    }

    public static ILogger Log => Logger.None;

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "pretrain-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Every method tensor as raw bytes, for bit-exact comparisons.</summary>
    public static Dictionary<string, byte[]> Snapshot(Trainer t) =>
        t.Method.StateTensors().ToDictionary(kv => kv.Key, kv => kv.Value.cpu().contiguous().bytes.ToArray());

    /// <summary>Trains to <paramref name="maxSteps"/> (resuming first when asked) and writes latest.ckpt.</summary>
    public static Trainer Train(RunConfig cfg, string dir, long maxSteps, string? resume = null)
    {
        cfg.Training.MaxSteps = (int)maxSteps;
        var t = RunBuilder.Trainer(cfg, dir, Log, CancellationToken.None);
        if (resume is not null) TrainingRun.ResumeOrStartOver(t, resume, dir, cfg, Log, Pretrain.Distributed.DataParallel.Single);
        Assert.True(t.Run());
        t.SaveCheckpoint(epochFile: false);
        return t;
    }
}
