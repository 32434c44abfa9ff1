using System.Text.Json;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Cli;

/// <summary>`pretrain bench data` end to end on tiny synthetic data: the JSON keys, and where the photometric ops ran.</summary>
[Collection("TorchGlobalState")]
public class BenchDataCommandTests
{
    private const string Tiny = "data:\n  workers: 2\n  synthetic: {train_size: 64, val_size: 8, size: 24}\n" +
                                "training:\n  batch_size: 8\naugment:\n  views:\n    - {name: a, crop_size: 16}\n    - {name: b, crop_size: 16, solarize_p: 0.5}\n";

    [Theory]
    [InlineData("auto", "loader")]
    [InlineData("device", "device")]
    public void JsonReportsRatesAndThePhotometricStage(string stage, string where)
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        var r = CliResult.Run(["bench", "data", "--config", file, "--batches", "2", "--json", "--device", "cpu", "--set", $"augment.stage={stage}"]);
        Assert.Equal(0, r.ExitCode);
        var json = JsonDocument.Parse(r.Out.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(where, json.GetProperty("photometric_stage").GetString());
        Assert.Equal(2, json.GetProperty("workers").GetInt32());
        Assert.Equal(16, json.GetProperty("images_measured").GetInt32());
        foreach (var key in new[] { "decode_crop_images_per_sec", "decode_crop_images_per_sec_per_core", "pipeline_images_per_sec", "pipeline_images_per_sec_per_core", "peak_rss_mib" })
            Assert.True(json.GetProperty(key).GetDouble() > 0, key);
    }

    [Fact]
    public void AnUnknownDeviceIsAUsageError()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        var r = CliResult.Run(["bench", "data", "--config", file, "--device", "tpu"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--device must be auto, cpu, cuda or cuda:N, got 'tpu'", r.Err);
    }
}
