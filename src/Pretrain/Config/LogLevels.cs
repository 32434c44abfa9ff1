namespace Pretrain.Config;

/// <summary>The names `logging.level` and `--log-level` accept: Serilog's levels and the short spellings
/// users type (Python logging's and Serilog's own abbreviations), case-insensitive.</summary>
public static class LogLevels
{
    public static readonly string[] Names = ["verbose", "debug", "information", "warning", "error"];

    /// <summary>alias → level.</summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>
    {
        ["trace"] = "verbose", ["info"] = "information", ["warn"] = "warning", ["err"] = "error",
    };

    /// <summary>Every accepted spelling (names, then aliases), for the CLI's completions and errors.</summary>
    public static IEnumerable<string> Accepted => Names.Concat(Aliases.Keys);

    /// <summary>The level a name or alias stands for, or null.</summary>
    public static string? Canonical(string name)
    {
        var n = name.Trim().ToLowerInvariant();
        return Names.Contains(n) ? n : Aliases.TryGetValue(n, out var level) ? level : null;
    }
}
