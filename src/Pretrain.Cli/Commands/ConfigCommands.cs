using System.CommandLine;
using Pretrain.Config;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain config show` and `pretrain config validate`.</summary>
internal static class ConfigCommands
{
    public static Command Show(CliSession session)
    {
        var options = new ConfigOptions();
        var command = new Command("show", "Print the fully resolved config (bases merged, overrides, presets and defaults applied) as YAML");
        options.AddTo(command);
        command.SetAction(parse =>
        {
            var config = options.Load(parse);
            // What the method chose for the keys the config left out (YAML comments, so the output still loads).
            if (config.AppliedDefaults.Count > 0)
                session.Out.WriteLine($"# method defaults applied ({config.Method.Name}, {config.Optimizer.Name}): {string.Join(", ", config.AppliedDefaults)}");
            session.Out.Write(ConfigWriter.ToYaml(config));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Validate(CliSession session)
    {
        var options = new ConfigOptions();
        var command = new Command("validate", "Check a config (keys, types, ranges, data paths); exit 0 when valid, 2 with the first problem otherwise");
        options.AddTo(command);
        command.SetAction(parse =>
        {
            options.Load(parse);
            session.Out.WriteLine($"{ConfigPaths.Display(parse.GetRequiredValue(options.Config))}: valid");
            return ExitCodes.Success;
        });
        return command;
    }
}
