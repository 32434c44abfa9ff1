using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Eval;
using Pretrain.Models;
using Pretrain.Tests.Training;
using Pretrain.Training;
using static TorchSharp.torch;

namespace Pretrain.Tests.Eval;

/// <summary>Tiny configs and a tiny trained checkpoint for the evaluation tests.</summary>
internal static class EvalFixtures
{
    /// <summary>The TinyRun config with a 2-stage narrow ResNet (BatchNorm present) and a small linear eval.</summary>
    public static RunConfig TinyResNet()
    {
        var cfg = TinyRun.Config(sdmp: false);
        cfg.Model.Arch = "resnet";
        cfg.Model.Block = "basic";
        cfg.Model.Layers = [1, 1];
        cfg.Model.Widths = [8, 16];
        cfg.Model.CifarStem = true;
        cfg.Eval.Linear.Epochs = 3;
        cfg.Eval.Linear.BatchSize = 16;
        return cfg;
    }

    public static Backbone Backbone(RunConfig cfg, long seed = 1)
    {
        manual_seed(seed);
        var b = BackboneFactory.Create(cfg.Model, cfg.Data.ImageSize);
        // Non-trivial running statistics and gammas, so "unchanged" is not "still at the defaults".
        using (no_grad())
            foreach (var (_, t) in b.named_buffers().Where(x => x.name.EndsWith("running_mean") || x.name.EndsWith("running_var")))
                t.copy_(rand(t.shape) + 0.5);
        return b;
    }

    public static Dictionary<string, byte[]> Bytes(nn.Module m) =>
        m.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(m.named_buffers())
            .ToDictionary(x => x.Item1, x => x.Item2.detach().cpu().contiguous().bytes.ToArray());

    static readonly Lazy<string> Trained = new(() =>
    {
        var dir = TinyRun.TempDir();
        var cfg = TinyRun.Config(sdmp: true);
        cfg.Training.MaxSteps = 6;                           // one epoch of 96 / 16
        using var t = RunBuilder.Trainer(cfg, dir, TinyRun.Log, CancellationToken.None);
        t.Run();
        File.WriteAllText(Path.Combine(dir, "config.yaml"), ConfigWriter.ToYaml(cfg));
        return dir;
    });

    /// <summary>A run folder with a one-epoch MoCo v3 ViT checkpoint on synthetic 16×16 shapes (shared, read-only).</summary>
    public static string TrainedRunDir => Trained.Value;

    /// <summary>A fresh copy of the trained run folder, for tests that write into it.</summary>
    public static string TrainedRunCopy()
    {
        var dir = TinyRun.TempDir();
        foreach (var f in Directory.EnumerateFiles(TrainedRunDir, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir, Path.GetRelativePath(TrainedRunDir, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return dir;
    }
}
