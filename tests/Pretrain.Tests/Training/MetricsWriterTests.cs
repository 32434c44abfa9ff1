using System.Text.Json;
using Pretrain.Tests.Config;
using Pretrain.Training;
using Xunit;

namespace Pretrain.Tests.Training;

public class MetricsWriterTests
{
    [Fact]
    public void WritesOneFlushedJsonObjectPerCallAndTensorBoardEvents()
    {
        using var dir = new TempConfigDir();
        var runDir = dir.PathOf("run");
        using (var metrics = new MetricsWriter(runDir, tensorboard: true))
        {
            metrics.Write(10, 0, new Dictionary<string, double> { ["loss"] = 2.5, ["lr"] = 1.5e-4 });
            // Readable while the writer is still open: each line is flushed.
            Assert.Single(File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")));
            metrics.Write(20, 1, new Dictionary<string, double> { ["loss"] = double.NaN, ["knn_top1"] = 0.125 });
            Assert.Throws<ArgumentException>(() => metrics.Write(30, 1, new Dictionary<string, double> { ["step"] = 1 }));
        }

        var rows = File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal(10, rows[0].GetProperty("step").GetInt64());
        Assert.Equal(0, rows[0].GetProperty("epoch").GetInt32());
        Assert.Equal(2.5, rows[0].GetProperty("loss").GetDouble());
        Assert.Equal(1.5e-4, rows[0].GetProperty("lr").GetDouble());
        Assert.Equal(20, rows[1].GetProperty("step").GetInt64());
        Assert.Equal(1, rows[1].GetProperty("epoch").GetInt32());
        Assert.Equal("NaN", rows[1].GetProperty("loss").GetString());
        Assert.Equal(0.125, rows[1].GetProperty("knn_top1").GetDouble());

        var events = Directory.GetFiles(Path.Combine(runDir, "tb"), "events.out.tfevents*", SearchOption.AllDirectories);
        Assert.NotEmpty(events);
        Assert.True(new FileInfo(events[0]).Length > 0);
    }

    [Fact]
    public void TensorBoardCanBeOffAndRunsAppend()
    {
        using var dir = new TempConfigDir();
        var runDir = dir.PathOf("run");
        using (var m = new MetricsWriter(runDir, tensorboard: false)) m.Write(1, 0, new Dictionary<string, double> { ["loss"] = 1 });
        using (var m = new MetricsWriter(runDir, tensorboard: false)) m.Write(2, 0, new Dictionary<string, double> { ["loss"] = 0.5 });
        Assert.False(Directory.Exists(Path.Combine(runDir, "tb")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Length);
    }
}
