using System.CommandLine;
using Pretrain.Common;
using Pretrain.Config;
using Serilog;

namespace Pretrain.Cli.Commands;

/// <summary>
/// How the long evaluation commands show progress: on an interactive terminal (the process's own stderr,
/// not redirected, TERM not "dumb") one live line on stderr rewritten in place; otherwise (SLURM logs,
/// pipes, tests) an information log line every --progress-seconds (default PRETRAIN_PROGRESS_SECONDS, else
/// 30 s) plus a final line per task.
/// </summary>
internal sealed class ProgressOption
{
    public Option<double?> Seconds { get; } = new("--progress-seconds")
    {
        Description = $"Seconds between progress log lines when stderr is not a terminal (default ${LineProgressSink.SecondsVariable}, else {LineProgressSink.DefaultSeconds:0}; 0 = every batch)",
        HelpName = "S",
    };

    public void AddTo(Command command) => command.Options.Add(Seconds);

    public IProgressSink Sink(CliSession session, ParseResult parse, ILogger log)
    {
        var seconds = parse.GetValue(Seconds);
        if (seconds is { } s && !(s >= 0 && double.IsFinite(s)))
            throw new UserInputException($"--progress-seconds {s}: must be a number of seconds >= 0");
        if (IsInteractive(session.Err)) return new TerminalProgressSink(session.Err);
        var interval = seconds is { } given ? TimeSpan.FromSeconds(given) : LineProgressSink.IntervalFromEnvironment();
        return new LineProgressSink(line => log.Information("{Progress:l}", line), interval);
    }

    /// <summary>The process's stderr on a terminal that understands carriage returns.</summary>
    public static bool IsInteractive(TextWriter err) =>
        ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb";
}

/// <summary>One line on a terminal, rewritten with '\r' a few times a second, ended by a newline.</summary>
internal sealed class TerminalProgressSink(TextWriter err) : IProgressSink
{
    int _shown;

    public TimeSpan Interval => TimeSpan.FromMilliseconds(250);

    public void Update(string line) => Write(line, end: false);

    public void Done(string line) => Write(line, end: true);

    void Write(string line, bool end)
    {
        int width = Width();
        if (width > 1 && line.Length >= width) line = line[..(width - 1)];   // a wrapped line cannot be rewritten
        var pad = _shown > line.Length ? new string(' ', _shown - line.Length) : "";
        err.Write("\r" + line + pad + (end ? "\n" : ""));
        err.Flush();
        _shown = end ? 0 : line.Length;
    }

    static int Width()
    {
        try { return Console.WindowWidth; }
        catch (IOException) { return 0; }
        catch (PlatformNotSupportedException) { return 0; }
    }
}
