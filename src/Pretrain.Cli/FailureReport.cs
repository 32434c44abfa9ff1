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

        // A failed write (disk full, folder gone) means the run folder's log may not take the trace
        // either: it goes to a temporary file then, and the run log gets it too where it still can.
        string where;
        if (log is not null && e is not IOException)
        {
            log.FileOnly.Fatal(e, "unexpected failure");
            where = $"full trace in {log.FilePath}";
        }
        else
        {
            log?.FileOnly.Fatal(e, "unexpected failure");
            where = TraceToTempFile(e);
        }
        stderr.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)} ({where})");
        return ExitCodes.Failure;
    }

    static string TraceToTempFile(Exception e)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pretrain-failure-{DateTime.Now:yyyyMMdd-HHmmss}-{Environment.ProcessId}.log");
        try
        {
            File.WriteAllText(path, e.ToString());
            return $"full trace in {path}";
        }
        catch (Exception write) when (write is IOException or UnauthorizedAccessException)
        {
            return $"no trace written: {OneLine(write.Message)}";
        }
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
