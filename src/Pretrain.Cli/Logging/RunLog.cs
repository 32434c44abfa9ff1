using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Filters;
using Serilog.Formatting.Compact;

namespace Pretrain.Cli.Logging;

/// <summary>
/// The logger of one run: human lines on the console and JSON lines (`log.jsonl`, appended on resume)
/// in the run folder. Events from <see cref="FileOnly"/> skip the console; the CLI uses it for traces
/// and errors it prints in its own one-line form.
/// </summary>
public sealed class RunLog : IDisposable
{
    public const string FileName = "log.jsonl";
    const string FileOnlyProperty = "FileOnly";

    RunLog(Logger logger, string filePath)
    {
        Logger = logger;
        FilePath = filePath;
        FileOnly = logger.ForContext(FileOnlyProperty, true);
    }

    public Logger Logger { get; }
    public ILogger FileOnly { get; }
    public string FilePath { get; }

    public static RunLog Create(string runDir, LogEventLevel level, TextWriter stdout, TextWriter stderr)
    {
        var path = Path.Combine(runDir, FileName);
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.File(new RenderedCompactJsonFormatter(), path)
            .WriteTo.Logger(console => console
                .Filter.ByExcluding(Matching.WithProperty(FileOnlyProperty))
                .WriteTo.Sink(new TextWriterSink(stdout, stderr)))
            .CreateLogger();
        return new RunLog(logger, path);
    }

    /// <summary>A console-only logger whose lines carry a prefix (the ranks other than 0 of a data-parallel
    /// run: one writer, so no run-folder file).</summary>
    public static RunLog ConsoleOnly(LogEventLevel level, TextWriter stdout, TextWriter stderr, string prefix)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .WriteTo.Logger(console => console
                .Filter.ByExcluding(Matching.WithProperty(FileOnlyProperty))
                .WriteTo.Sink(new TextWriterSink(stdout, stderr, prefix)))
            .CreateLogger();
        return new RunLog(logger, "");
    }

    /// <summary>A level name or alias (<see cref="Pretrain.Config.LogLevels"/>).</summary>
    public static LogEventLevel ParseLevel(string name) => Pretrain.Config.LogLevels.Canonical(name) switch
    {
        "verbose" => LogEventLevel.Verbose,
        "debug" => LogEventLevel.Debug,
        "information" => LogEventLevel.Information,
        "warning" => LogEventLevel.Warning,
        "error" => LogEventLevel.Error,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "unknown log level"),
    };

    /// <summary>Closing flushes what the file sink still holds; on a full disk (or a folder that went
    /// away) that fails again after the failure was already reported in one line: the log is lost then,
    /// and a second error line would only repeat the first.</summary>
    public void Dispose()
    {
        try
        {
            Logger.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
        }
    }
}
