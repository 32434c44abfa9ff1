using System.Text.Json;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Cli;

/// <summary>`pretrain bench step --device`, like `run`, the eval commands and `bench data`.</summary>
[Collection("TorchGlobalState")]
public class BenchStepCommandTests
{
    private const string Tiny = "model:\n  arch: vit\n  embed_dim: 16\n  depth: 1\n  num_heads: 2\n  patch_size: 8\n" +
                                "method:\n  mocov3: {hidden_dim: 32, out_dim: 8}\n" +
                                "data:\n  workers: 0\n  synthetic: {train_size: 32, val_size: 8, size: 16}\n" +
                                "training:\n  batch_size: 8\naugment:\n  views:\n    - {name: a, crop_size: 16}\n    - {name: b, crop_size: 16}\n";

    [Fact]
    public void DeviceOptionPicksTheDeviceAndTheJsonNamesIt()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        var r = CliResult.Run(["bench", "step", "--config", file, "--steps", "2", "--warmup", "0", "--json", "--device", "cpu", "--set", "experiment.device=cuda"]);
        Assert.Equal(0, r.ExitCode);
        var json = JsonDocument.Parse(r.Out.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("cpu", json.GetProperty("device").GetString());
        Assert.Equal(2, json.GetProperty("steps").GetInt32());
        Assert.True(json.GetProperty("median_ms_per_step").GetDouble() > 0);
    }

    [Fact]
    public void AnUnknownOrAbsentDeviceIsAUsageError()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        var bad = CliResult.Run(["bench", "step", "--config", file, "--device", "tpu"]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--device must be auto, cpu, cuda or cuda:N, got 'tpu'", bad.Err);
        if (TorchSharp.torch.cuda.is_available()) return;
        var cuda = CliResult.Run(["bench", "step", "--config", file, "--steps", "1", "--device", "cuda"]);
        Assert.Equal(2, cuda.ExitCode);
        Assert.Contains("cuda", cuda.ErrLine);
    }
}
