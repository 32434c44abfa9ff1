using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine;
using System.Reflection;
using Pretrain.Cli.Commands;
using Pretrain.Composition;
using Pretrain.Training;

namespace Pretrain.Cli;

/// <summary>
/// The `pretrain` command line. To add a command, write its file under Commands/ with a
/// `static Command Create(CliSession)` and add one line to <see cref="Registrations"/>; a parent group
/// such as `bench` is created by the first command registered under it.
/// </summary>
public static partial class CliApp
{
    /// <summary>(parent group, or "" for top level; factory), in help order.</summary>
    static readonly (string Group, Func<CliSession, Command> Create)[] Registrations =
    [
        ("", RunCommand.Create),
        ("", LinearEvalCommand.Create),
        ("", KnnEvalCommand.Create),
        ("", ExportCommand.Create),
        ("", PlotCommand.Create),
        ("", CompareCommand.Create),
        ("", DoctorCommand.Create),
        ("config", ConfigCommands.Show),
        ("config", ConfigCommands.Validate),
        ("data", DataInspectCommand.Create),
        ("data", DataPackCommand.Create),
        ("bench", BenchCommands.Step),
        ("bench", BenchCommands.Data),
    ];

    static readonly Dictionary<string, string> GroupDescriptions = new()
    {
        ["config"] = "Inspect and check run configs",
        ["data"] = "Inspect data sources and pack them into tar shards",
        ["bench"] = "Measure data loading and training step speed",
    };

    /// <summary>The informational version with the commit shortened, e.g. `0.1.0+dc7cfce`.</summary>
    public static string Version
    {
        get
        {
            var full = typeof(CliApp).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            int plus = full.IndexOf('+');
            return plus >= 0 && full.Length > plus + 8 ? full[..(plus + 8)] : full;
        }
    }

    /// <summary>Runs the command line and returns the process exit code (see <see cref="ExitCodes"/>).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr, Func<RunContext, int>? train = null)
    {
        var session = new CliSession(stdout, stderr, train ?? TrainingRun.Execute);
        var root = Build(session);
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            stderr.WriteLine(ParseErrorLine(parse));
            return ExitCodes.UsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e)
        {
            return FailureReport.Report(e, stderr);
        }
    }

    public static Command Build(CliSession session)
    {
        var root = new Command("pretrain", "Self-supervised image pretraining (MoCo v3, DINO) with SDMP data mixing, on TorchSharp");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption { Action = new PrintVersion() });
        session.LogLevel.CompletionSources.Add(Pretrain.Config.LogLevels.Accepted.ToArray());
        session.LogLevel.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && Pretrain.Config.LogLevels.Canonical(value) is null)
                result.AddError($"--log-level: '{value}' is not one of {string.Join(", ", Pretrain.Config.LogLevels.Names)} (or {string.Join(", ", Pretrain.Config.LogLevels.Aliases.Keys)})");
        });
        root.Options.Add(session.LogLevel);

        foreach (var (group, create) in Registrations)
        {
            var parent = root;
            if (group.Length > 0)
            {
                parent = root.Subcommands.FirstOrDefault(c => c.Name == group)
                    ?? AddGroup(root, group);
            }
            parent.Subcommands.Add(create(session));
        }
        return root;
    }

    static Command AddGroup(Command root, string name)
    {
        var group = new Command(name, GroupDescriptions.GetValueOrDefault(name, ""));
        root.Subcommands.Add(group);
        return group;
    }

    static string ParseErrorLine(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
            names.Insert(0, result.Command.Name);
        var command = string.Join(' ', names);
        // "Required command was not provided" only adds noise next to a more specific error.
        var messages = parse.Errors.Select(e => OneLine().Replace(e.Message, " ").TrimEnd('.')).ToList();
        if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command", StringComparison.Ordinal));
        var errors = string.Join("; ", messages);
        return $"{command}: {errors} (see '{command} --help')";
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*\n\s*")]
    private static partial System.Text.RegularExpressions.Regex OneLine();

    sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Success;
        }
    }
}
