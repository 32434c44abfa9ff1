using System.Diagnostics;
using System.Text.Json.Nodes;
using Pretrain.Checkpoints;
using Xunit;

namespace Pretrain.Tests.Training;

/// <summary>The real binary under a real SIGTERM: it finishes the step, writes a checkpoint, exits 143,
/// and `--resume auto` continues from that step.</summary>
public class SignalStopTests
{
    private const string TinyYaml = """
        experiment: {name: sig, seed: 1, device: cpu, threads: 1}
        data: {source: synthetic, image_size: 16, workers: 1, synthetic: {train_size: 64, val_size: 16, size: 16}}
        augment:
          views:
            - {crop_size: 16, scale: [0.3, 1.0], blur_p: 0.0}
            - {crop_size: 16, scale: [0.3, 1.0], blur_p: 0.0, solarize_p: 0.2}
        model: {arch: vit, patch_size: 4, embed_dim: 32, depth: 1, num_heads: 2}
        method: {name: mocov3, mocov3: {hidden_dim: 64, out_dim: 16}}
        sdmp: {enabled: true}
        optimizer: {name: adamw, lr: 0.001, warmup_epochs: 1}
        training: {epochs: 100000, batch_size: 16, log_every_steps: 1}
        logging: {tensorboard: false}
        """;

    private static Process Start(string args, string workDir) =>
        Pretrain.Tests.Distributed.PretrainJob.Background(args.Split(' ', StringSplitOptions.RemoveEmptyEntries), workDir);

    [Fact]
    public void SigtermWritesACheckpointExits143AndResumeContinues()
    {
        var dir = TinyRun.TempDir();
        File.WriteAllText(Path.Combine(dir, "tiny.yaml"), TinyYaml);
        var runDir = Path.Combine(dir, "out");
        var metrics = Path.Combine(runDir, "metrics.jsonl");

        using var p = Start($"run --config tiny.yaml --output out", dir);
        var sw = Stopwatch.StartNew();
        while (!(File.Exists(metrics) && File.ReadAllLines(metrics).Length >= 2) && sw.Elapsed < TimeSpan.FromSeconds(60) && !p.HasExited)
            Thread.Sleep(50);
        Assert.False(p.HasExited, "the run ended before it could be signalled");
        Assert.Equal(0, Kill(p.Id, 15));
        Assert.True(p.WaitForExit(60_000), "no exit within 60 s of SIGTERM");
        Assert.Equal(143, p.ExitCode);

        var latest = Path.Combine(runDir, "checkpoints", "latest.ckpt");
        var meta = JsonNode.Parse(CheckpointStore.Load(latest).MetadataJson)!;
        long saved = meta[CheckpointStore.GlobalStepKey]!.GetValue<long>();
        long lastLogged = File.ReadAllLines(metrics).Select(l => JsonNode.Parse(l)!["step"]!.GetValue<long>()).Max();
        Assert.Equal(lastLogged, saved);

        using var resumed = Start($"run --config tiny.yaml --output out --resume auto --set training.max_steps={saved + 2}", dir);
        Assert.True(resumed.WaitForExit(60_000));
        Assert.Equal(0, resumed.ExitCode);
        var after = JsonNode.Parse(CheckpointStore.Load(latest).MetadataJson)![CheckpointStore.GlobalStepKey]!.GetValue<long>();
        Assert.Equal(saved + 2, after);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int sig);
}
