using System.Text.Json.Nodes;
using Pretrain.Tests.Cli;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Reports;

public class CompareTests
{
    [Fact]
    public void JsonHasExactlyTheDifferingConfigKeysAndTheResultsByValue()
    {
        using var dir = new TempConfigDir();
        var (a, b) = RunFolderFixtures.Write(dir);

        var r = CliResult.Run(["compare", a, b, "--json"]);

        Assert.Equal(0, r.ExitCode);
        var json = JsonNode.Parse(r.Out)!.AsObject();
        Assert.Equal(["run_a", "run_b"], json["runs"]!.AsArray().Select(x => (string)x!["name"]!));
        Assert.Equal(a, (string)json["runs"]![0]!["path"]!);

        var config = json["config"]!.AsObject();
        Assert.Equal(["augment.views.0.scale", "experiment.name", "optimizer.lr", "optimizer.warmup_epochs", "sdmp.enabled"],
            config.Select(kv => kv.Key).Order(StringComparer.Ordinal));
        Assert.Equal(0.002, (double)config["optimizer.lr"]![0]!);
        Assert.Equal(0.001, (double)config["optimizer.lr"]![1]!);
        Assert.True((bool)config["sdmp.enabled"]![0]!);
        Assert.False((bool)config["sdmp.enabled"]![1]!);
        Assert.Null(config["optimizer.warmup_epochs"]![0]);        // run_a does not set it
        Assert.Equal(2, (long)config["optimizer.warmup_epochs"]![1]!);
        Assert.Equal([0.2, 1.0], config["augment.views.0.scale"]![0]!.AsArray().Select(x => (double)x!));
        Assert.Equal([0.08, 1.0], config["augment.views.0.scale"]![1]!.AsArray().Select(x => (double)x!));
        Assert.Equal(["a", "b"], config["experiment.name"]!.AsArray().Select(x => (string)x!));

        var results = json["results"]!.AsObject();
        void Is(string key, double? va, double? vb)
        {
            var v = results[key]!.AsArray();
            Assert.Equal(va, v[0] is null ? null : (double)v[0]!);
            Assert.Equal(vb, v[1] is null ? null : (double)v[1]!);
        }
        Is("final_probe.linear_top1", 74.55, 80.25);
        Is("final_probe.random_init_linear_top1", 79.8, 79.5);
        Is("final_probe.knn20_top1", 59.7, 66.0);
        Is("final_probe.random_init_knn20_top1", 71.5, 70.0);
        Is("knn_eval.k10_top1", null, 61.5);
        Is("knn_eval.k20_top1", null, 60.25);
        Is("linear_eval.best_top1", null, 70.5);
        Is("linear_eval.last_top1", null, 69.75);
        Is("knn_monitor.last_knn_top1", 47.75, null);
        Is("last_step", 40, 60);
        Is("wall_time_s", 125.5, null);
        Is("last_images_per_sec", 140, 160);
        Is("last_loss", 4 - 40 * 0.02, 3.9 - 30 * 0.03);
        Assert.Contains("malformed", r.Err); // run_a's torn line, as a warning
    }

    [Fact]
    public void TextAndMarkdownTablesShowTheSameRows()
    {
        using var dir = new TempConfigDir();
        var (a, b) = RunFolderFixtures.Write(dir);

        var text = CliResult.Run(["compare", a, b]);
        var md = CliResult.Run(["compare", a, b, "--markdown"]);

        Assert.Equal(0, text.ExitCode);
        Assert.Equal(0, md.ExitCode);
        var line = text.Out.Split('\n').Single(l => l.StartsWith("optimizer.lr", StringComparison.Ordinal));
        Assert.Equal(["optimizer.lr", "0.002", "0.001"], line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("wall_time_s", text.Out);
        Assert.Contains("2m05s", text.Out);
        Assert.Contains("| key | run_a | run_b |", md.Out);
        Assert.Contains("| `optimizer.lr` | 0.002 | 0.001 |", md.Out);
        Assert.Contains("| `final_probe.linear_top1` | 74.55 | 80.25 |", md.Out);
        Assert.Contains("| `knn_eval.k10_top1` | – | 61.50 |", md.Out);
        // The text table's columns line up: every row of the results table is as wide as its rule.
        var rows = text.Out.Split('\n').SkipWhile(l => !l.StartsWith("results", StringComparison.Ordinal)).Skip(1).ToList();
        Assert.StartsWith("---", rows[0]);
        Assert.All(rows.Skip(1).Where(l => l.Length > 0), l => Assert.Equal(rows[0].Length, l.Length));
    }

    [Fact]
    public void RunsWithTheSameFolderNameGetTheirParentsName()
    {
        using var dir = new TempConfigDir();
        dir.Write("x/run/metrics.jsonl", RunFolderFixtures.MetricsB());
        dir.Write("y/run/metrics.jsonl", RunFolderFixtures.MetricsB());

        var r = CliResult.Run(["compare", dir.PathOf("x/run"), dir.PathOf("y/run"), "--json"]);

        Assert.Equal(0, r.ExitCode);
        var json = JsonNode.Parse(r.Out)!;
        Assert.Equal(["x/run", "y/run"], json["runs"]!.AsArray().Select(x => (string)x!["name"]!));
        Assert.Empty(json["config"]!.AsObject());
    }
}
