using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pretrain.Common;
using Pretrain.Eval;
using Pretrain.Tests.Cli;
using Xunit;

namespace Pretrain.Tests.Eval;

/// <summary>Progress of the evaluation commands when stderr is not a terminal: log lines on stdout.</summary>
public class EvalProgressTests
{
    static string[] Lines(string output, string label) =>
        output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Contains($"[INF] {label}: ")).ToArray();

    static string Count(string line) => Regex.Match(line, @": ([0-9,]+/[0-9,]+ \(\d+%\))").Groups[1].Value;

    [Fact]
    public void KnnEvalLogsProgressOfBothExtractionsAndTheKnnWithoutChangingResults()
    {
        var run = EvalFixtures.TrainedRunCopy();
        var quiet = Path.Combine(run, "quiet");
        var r = CliResult.Run(["knn-eval", "--checkpoint", run, "--set", "eval.knn_k=[1,5]", "--progress-seconds", "0"]);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.DoesNotContain("\r", r.Out + r.Err);                            // not a terminal: no rewritten line

        // Batch 16 (training.batch_size): one line per batch, then the final line with the time taken.
        var train = Lines(r.Out, "features train");
        Assert.Equal(["16/96 (16%)", "32/96 (33%)", "48/96 (50%)", "64/96 (66%)", "80/96 (83%)", "96/96 (100%)", "96/96 (100%)"], train.Select(Count));
        Assert.All(train[..^1], l => Assert.Matches(@" [0-9.,]+ img/s ETA \d\d:\d\d:\d\d$|- img/s ETA --:--:--$", l));
        Assert.Matches(@" (-|[0-9.,]+) img/s in \d\d:\d\d:\d\d$", train[^1]);
        Assert.Equal(["16/32 (50%)", "32/32 (100%)", "32/32 (100%)"], Lines(r.Out, "features val").Select(Count));
        Assert.Equal(["32/32 (100%)", "32/32 (100%)"], Lines(r.Out, "knn").Select(Count));   // one chunk of 32 queries
        Assert.Contains("queries/s", Lines(r.Out, "knn")[0]);
        var order = new[] { "features train", "features val", "knn" }.Select(l => r.Out.IndexOf($"] {l}: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(order.Order(), order);

        // Progress only observes: the same numbers as a run with the default (30 s) interval.
        var again = CliResult.Run(["knn-eval", "--checkpoint", run, "--set", "eval.knn_k=[1,5]", "--output", quiet]);
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Equal(JsonNode.Parse(File.ReadAllText(Path.Combine(run, KnnEvaluation.FileName)))!["results"]!.ToJsonString(),
            JsonNode.Parse(File.ReadAllText(Path.Combine(quiet, KnnEvaluation.FileName)))!["results"]!.ToJsonString());
        if (Environment.GetEnvironmentVariable(LineProgressSink.SecondsVariable) is null)
            Assert.Equal(["96/96 (100%)"], Lines(again.Out, "features train").Select(Count));   // quick: the final line only
    }

    [Fact]
    public void LinearEvalFullModeLogsProgressWithinEachEpoch()
    {
        var run = EvalFixtures.TrainedRunCopy();
        var r = CliResult.Run(["linear-eval", "--checkpoint", run, "--set", "eval.linear.mode=full", "--set", "eval.linear.epochs=2",
            "--set", "eval.linear.batch_size=32", "--progress-seconds", "0"]);
        Assert.True(r.ExitCode == 0, r.Err);
        Assert.Equal(["32/32 (100%)", "32/32 (100%)"], Lines(r.Out, "features val").Select(Count));
        Assert.Empty(Lines(r.Out, "features train"));                           // full mode: no cached train features
        foreach (var epoch in new[] { "1/2", "2/2" })
            Assert.Equal(["32/96 (33%)", "64/96 (66%)", "96/96 (100%)", "96/96 (100%)"], Lines(r.Out, $"linear-eval epoch {epoch}").Select(Count).Where(c => c != ""));   // not the epoch result line
        var firstEpochLine = r.Out.IndexOf("linear-eval epoch 1/2: loss", StringComparison.Ordinal);
        Assert.True(r.Out.IndexOf("] linear-eval epoch 1/2: 96/96", StringComparison.Ordinal) < firstEpochLine);
    }

    [Fact]
    public void ANegativeIntervalIsAUsageError()
    {
        var r = CliResult.Run(["knn-eval", "--checkpoint", EvalFixtures.TrainedRunDir, "--progress-seconds", "-1"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--progress-seconds", r.ErrLine);
    }
}
