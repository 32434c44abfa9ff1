using Pretrain.Cli;
using Pretrain.Composition;
using Pretrain.Training;

namespace Pretrain.Tests.Cli;

/// <summary>Runs the CLI in-process and captures what it prints.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public static CliResult Run(string[] args, Func<RunContext, int>? train = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr, train);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>stderr must be exactly one line.</summary>
    public string ErrLine
    {
        get
        {
            var lines = Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length != 1) throw new Xunit.Sdk.XunitException($"expected one stderr line, got {lines.Length}:\n{Err}");
            return lines[0];
        }
    }
}
