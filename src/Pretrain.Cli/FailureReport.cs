using Pretrain.Cli.Logging;
using Pretrain.Config;
using Pretrain.Training;

namespace Pretrain.Cli;

/// <summary>
/// Maps an exception that ended a command to its exit code and the message the user sees: bad input is
/// one line and code 2; a stop by Ctrl-C / SIGTERM is 130 / 143; anything else is a failure (code 1)
/// whose full trace goes to the run's log file, or to a temporary file when no run folder exists yet.
/// </summary>
public static class FailureReport
{
    public static int Report(Exception exception, TextWriter stderr, RunLog? log = null, ShutdownSignal? shutdown = null)
    {
        var e = Unwrap(exception);
        if (e is OperationCanceledException && (shutdown is null || shutdown.IsRequested))
        {
            log?.Logger.Warning("stopped by {Signal:l}", shutdown?.Signal?.ToString() ?? "cancellation");
            return shutdown?.ExitCode ?? ExitCodes.Interrupted;
        }
        if (e is ConfigException or UserInputException)
        {
            log?.FileOnly.Error(e, "{Message:l}", e.Message);
            stderr.WriteLine(OneLine(e.Message));
            return ExitCodes.UsageError;
        }

        string tracePath;
        if (log is not null)
        {
            log.FileOnly.Fatal(e, "unexpected failure");
            tracePath = log.FilePath;
        }
        else
        {
            tracePath = Path.Combine(Path.GetTempPath(), $"pretrain-failure-{DateTime.Now:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
            File.WriteAllText(tracePath, e.ToString());
        }
        stderr.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)} (full trace in {tracePath})");
        return ExitCodes.Failure;
    }

    static Exception Unwrap(Exception e)
    {
        while (true)
        {
            if (e is AggregateException { InnerExceptions.Count: 1 } a) e = a.InnerExceptions[0];
            else if (e is System.Reflection.TargetInvocationException { InnerException: { } inner }) e = inner;
            else return e;
        }
    }

    static string OneLine(string message) => string.Join(" ", message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
