using System.CommandLine;
using Pretrain.Cli.Logging;
using Pretrain.Config;
using Pretrain.Eval;
using Serilog.Core;
using Serilog;

namespace Pretrain.Cli.Commands;

/// <summary>Options shared by the commands that evaluate or export a pretrained checkpoint.</summary>
internal sealed class EvalOptions
{
    public Option<string> Checkpoint { get; } = new("--checkpoint")
    {
        Description = "Pretraining checkpoint file, or a run folder (its newest valid checkpoint)",
        HelpName = "PATH|RUN_DIR",
    };

    public Option<string?> Config { get; } = new("--config", "-c")
    {
        Description = "Eval overlay YAML merged on top of the checkpoint's own config (data, eval.* keys)",
        HelpName = "EVAL.yaml",
    };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override one key of the checkpoint's config, e.g. --set eval.linear.epochs=10; repeatable",
        HelpName = "KEY=VALUE",
        DefaultValueFactory = _ => [],
    };

    public Option<string?> Output { get; } = new("--output", "-o")
    {
        Description = "Folder for the results (default: the checkpoint's run folder)",
        HelpName = "DIR",
    };

    public Option<string?> Device { get; } = DeviceOption.Create();

    public Option<string?> Backbone { get; } = new("--backbone")
    {
        Description = "default (MoCo v3 query encoder, DINO teacher), query, momentum, teacher or student",
        HelpName = "WHICH",
    };

    public EvalOptions(bool withConfig = true)
    {
        WithConfig = withConfig;
        Backbone.AcceptOnlyFromAmong(LinearEvalConfig.BackboneNames);
    }

    bool WithConfig { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Checkpoint);
        if (WithConfig)
        {
            command.Options.Add(Config);
            command.Options.Add(Set);
            command.Options.Add(Output);
            command.Options.Add(Device);
        }
        command.Options.Add(Backbone);
    }

    public string RequiredCheckpoint(ParseResult parse, string command) =>
        parse.GetValue(Checkpoint) ?? throw new UserInputException($"pretrain {command}: --checkpoint PATH|RUN_DIR is required");

    /// <summary>The checkpoint's config with the overlay and overrides applied (and --backbone as eval.linear.backbone).</summary>
    public RunConfig ResolveConfig(ParseResult parse, RunConfig checkpointConfig)
    {
        var sets = (parse.GetValue(Set) ?? []).ToList();
        if (parse.GetValue(Backbone) is { } which) sets.Add($"eval.linear.backbone={which}");
        return EvalRunConfig.Resolve(checkpointConfig, parse.GetValue(Config), sets);
    }

    /// <summary>Runs a command body with unreadable data and damaged checkpoints reported as input errors (exit 2).</summary>
    public static int InputErrorsAsUsage(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is Pretrain.Data.DataException or Pretrain.Checkpoints.CheckpointException or InvalidDataException)
        {
            throw new UserInputException(e.Message, e);
        }
    }

    public static Logger ConsoleLogger(CliSession session, ParseResult parse, RunConfig? cfg) =>
        new LoggerConfiguration()
            .MinimumLevel.Is(RunLog.ParseLevel(parse.GetValue(session.LogLevel) ?? cfg?.Logging.Level ?? "information"))
            .WriteTo.Sink(new TextWriterSink(session.Out, session.Err))
            .CreateLogger();
}
