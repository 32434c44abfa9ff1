using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace Pretrain.Cli.Logging;

/// <summary>Human log lines: information and below to stdout, warnings and errors to stderr; an optional
/// prefix (e.g. "rank 1") after the level.</summary>
internal sealed class TextWriterSink(TextWriter stdout, TextWriter stderr, string? prefix = null) : ILogEventSink
{
    readonly MessageTemplateTextFormatter formatter = new(prefix is null
        ? "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj}{NewLine}"
        : "{Timestamp:HH:mm:ss} [{Level:u3}] [" + prefix + "] {Message:lj}{NewLine}");
    readonly object gate = new();

    public void Emit(LogEvent logEvent)
    {
        var writer = logEvent.Level >= LogEventLevel.Warning ? stderr : stdout;
        lock (gate)
        {
            formatter.Format(logEvent, writer);
            writer.Flush();
        }
    }
}
