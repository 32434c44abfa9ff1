using System.CommandLine;
using Pretrain.Composition;
using Pretrain.Training;

namespace Pretrain.Cli;

/// <summary>
/// What every command needs from the process: where to print, the global options, and the training
/// entry point (a parameter so tests can run `pretrain run` end to end without training).
/// </summary>
public sealed class CliSession(TextWriter output, TextWriter error, Func<RunContext, int> train)
{
    public TextWriter Out { get; } = output;
    public TextWriter Err { get; } = error;
    public Func<RunContext, int> Train { get; } = train;

    /// <summary>`--log-level`, accepted by every command; null when not given.</summary>
    public Option<string?> LogLevel { get; } = new("--log-level")
    {
        Description = "Log verbosity: verbose, debug, information, warning or error; trace, info, warn and err are accepted too (overrides logging.level)",
        Recursive = true,
        HelpName = "LEVEL",
    };
}
