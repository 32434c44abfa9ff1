using System.Text.Json;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Cli;

/// <summary>`pretrain data pack` end to end, and the shards it writes read back by `data inspect` and `bench data`.</summary>
[Collection("TorchGlobalState")]
public class DataPackCommandTests
{
    private const string Tiny = "data:\n  workers: 2\n  synthetic: {train_size: 40, val_size: 8, size: 16, classes: 4}\n" +
                                "training:\n  batch_size: 8\naugment:\n  views:\n    - {name: a, crop_size: 12}\n    - {name: b, crop_size: 12}\n";

    [Fact]
    public void PackWritesTrainAndValShardsThatInspectAndBenchRead()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        var output = dir.PathOf("shards");
        var r = CliResult.Run(["data", "pack", "--config", file, "--output", output, "--shard-size", "8KB"]);
        Assert.True(r.ExitCode == 0, r.Err);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("[INF]")).ToArray();
        Assert.Contains("pack train: 40/40 (100%)", r.Out);
        Assert.StartsWith("train: 40 samples in ", lines[0]);
        Assert.StartsWith("val: 8 samples in ", lines[1]);
        Assert.Contains($"--set data.source=shards --set data.path={output}", lines[2]);
        int trainShards = Directory.GetFiles(Path.Combine(output, "train"), "train-*.tar").Length;
        Assert.True(trainShards >= 2, $"{trainShards} shards");
        Assert.Contains($"in {trainShards} shards", lines[0]);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(output, "val"), "val-*.tar"));
        using (var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train", "index.json"))))
            Assert.Equal(40, index.RootElement.GetProperty("samples").GetInt32());
        Assert.Equal(4, File.ReadAllLines(Path.Combine(output, "train", "classes.txt")).Length);

        var inspect = CliResult.Run(["data", "inspect", "--config", file, "--set", "data.source=shards", "--set", $"data.path={output}", "--output", dir.PathOf("grid")]);
        Assert.True(inspect.ExitCode == 0, inspect.Err);
        Assert.Contains($"train: 40 samples — shards {Path.Combine(output, "train")} ({trainShards} shards)", inspect.Out);
        Assert.Contains("val: 8 samples — shards", inspect.Out);
        Assert.Contains("classes: 4", inspect.Out);
        Assert.True(File.Exists(dir.PathOf("grid/augmented_views.png")));

        var bench = CliResult.Run(["bench", "data", "--config", file, "--set", "data.source=shards", "--set", $"data.path={Path.Combine(output, "train", "train-{000000..000001}.tar")}",
            "--batches", "1", "--json", "--set", "training.batch_size=4"]);
        Assert.True(bench.ExitCode == 0, bench.Err);
        Assert.True(JsonDocument.Parse(bench.Out.Trim().Split('\n')[^1]).RootElement.GetProperty("decode_crop_images_per_sec").GetDouble() > 0);

        // Packing again into the same folder is refused, not mixed.
        var again = CliResult.Run(["data", "pack", "--config", file, "--output", output]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already holds .tar shards", again.ErrLine);
    }

    [Theory]
    [InlineData("--shard-size", "lots", "--shard-size 'lots': not a size")]
    [InlineData("--set", "data.decoder=pillow", "data.decoder")]
    [InlineData("--set", "data.shuffle_buffer=-1", "data.shuffle_buffer")]
    public void BadOptionsAreOneLineUsageErrors(string option, string value, string expected)
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        var r = CliResult.Run(["data", "pack", "--config", file, "--output", dir.PathOf("out"), option, value]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.ErrLine);
    }

    [Fact]
    public void AMissingShardOfAPatternIsAOneLineDataError()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("tiny.yaml", Tiny);
        Assert.Equal(0, CliResult.Run(["data", "pack", "--config", file, "--output", dir.PathOf("s")]).ExitCode);
        var pattern = dir.PathOf("s/train/train-{000000..000003}.tar");
        var r = CliResult.Run(["data", "inspect", "--config", file, "--set", "data.source=shards", "--set", $"data.path={pattern}", "--output", dir.PathOf("g")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("shard not found: ", r.ErrLine);
        Assert.Contains("train-000001.tar", r.ErrLine);
    }
}
