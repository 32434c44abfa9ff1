using System.Text.Json.Nodes;
using Xunit;

namespace Pretrain.Tests.Cli;

/// <summary>`pretrain doctor` end to end on this machine (CPU build of libtorch, no GPU).</summary>
public class DoctorCommandTests
{
    static readonly string[] CheckNames =
        ["dotnet", "torch", "libstdc++", "cpu", "cpu features", "bf16", "threads", "scalar guard", "cuda", "launcher", "mpi", "nccl", "disk"];

    [Fact]
    public void CpuDeviceCanStart()
    {
        var r = CliResult.Run(["doctor", "--device", "cpu", "--output", Path.GetTempPath()]);
        Assert.True(r.ExitCode == 0, r.Out + r.Err);
        Assert.Equal("", r.Err);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(CheckNames.Length + 1, lines.Length);
        Assert.All(lines[..^1], l => Assert.Matches(@"^(ok  |warn|fail)  \S", l));
        Assert.DoesNotContain(lines, l => l.StartsWith("fail", StringComparison.Ordinal));
        Assert.StartsWith("ok    torch", lines[1]);
        Assert.EndsWith("a run can start", lines[^1]);
    }

    [Fact]
    public void CudaWithoutAGpuIsAFailAndExitCode2()
    {
        var r = CliResult.Run(["doctor", "--device", "cuda", "--json"]);
        Assert.Equal(2, r.ExitCode);
        var json = JsonNode.Parse(r.Out)!.AsObject();
        Assert.False((bool)json["can_run"]!);
        var checks = json["checks"]!.AsArray();
        Assert.Equal(CheckNames, checks.Select(c => (string)c!["name"]!));
        var cuda = checks.Single(c => (string)c!["name"]! == "cuda")!;
        Assert.Equal("fail", (string)cuda["status"]!);
        Assert.StartsWith("--device cuda asked", (string)cuda["value"]!);
        Assert.NotNull((string?)cuda["fix"]);
    }

    [Fact]
    public void BadDeviceIsAUsageError()
    {
        var r = CliResult.Run(["doctor", "--device", "gpu"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--device must be auto, cpu, cuda or cuda:N, got 'gpu'", r.ErrLine);
    }
}
