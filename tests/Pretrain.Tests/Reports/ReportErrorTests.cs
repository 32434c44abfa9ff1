using Pretrain.Tests.Cli;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Reports;

/// <summary>Bad input to `plot` and `compare`: exit 2 with one line on stderr, nothing written.</summary>
public class ReportErrorTests
{
    public static TheoryData<string> Commands => new() { "plot", "compare" };

    [Theory]
    [MemberData(nameof(Commands))]
    public void MissingFolder(string command)
    {
        using var dir = new TempConfigDir();
        var missing = dir.PathOf("nope");
        var r = CliResult.Run([command, missing]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"{missing}: no such run folder", r.ErrLine);
        Assert.Equal("", r.Out);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void FolderWithoutMetrics(string command)
    {
        using var dir = new TempConfigDir();
        dir.Write("run/config.yaml", "experiment:\n  name: run\n");
        var r = CliResult.Run([command, dir.PathOf("run")]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"{dir.PathOf("run")}: no metrics.jsonl in this folder (not a run folder?)", r.ErrLine);
    }

    [Theory]
    [InlineData("plot", "")]
    [InlineData("compare", "")]
    [InlineData("plot", "\n\n")]
    [InlineData("compare", "{\"step\":1,\"loss\":\n")]
    public void EmptyOrUnreadableMetrics(string command, string metrics)
    {
        using var dir = new TempConfigDir();
        var (a, _) = RunFolderFixtures.Write(dir);
        dir.Write("empty/metrics.jsonl", metrics);
        var r = CliResult.Run([command, a, dir.PathOf("empty")]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"{Path.Combine(dir.PathOf("empty"), "metrics.jsonl")}: no metrics rows", r.ErrLine);
        Assert.False(File.Exists("compare.png"));
    }

    [Fact]
    public void BadOptions()
    {
        using var dir = new TempConfigDir();
        var (a, _) = RunFolderFixtures.Write(dir);
        Assert.Equal("--smooth 0: must be >= 1", CliResult.Run(["plot", a, "--smooth", "0"]).ErrLine);
        Assert.Equal(2, CliResult.Run(["plot", a, "--x", "time"]).ExitCode);
        var none = CliResult.Run(["plot", a, "--metrics", "nope"]);
        Assert.Equal(2, none.ExitCode);
        Assert.StartsWith("--metrics nope: none of these is in the runs' metrics.jsonl", none.Err.Split('\n').Last(l => l.Length > 0));
        Assert.Equal("--json and --markdown: choose one", CliResult.Run(["compare", a, "--json", "--markdown"]).ErrLine);
        Assert.Equal(2, CliResult.Run(["plot"]).ExitCode);
        Assert.False(File.Exists(Path.Combine(a, "plot.png")));
    }
}
