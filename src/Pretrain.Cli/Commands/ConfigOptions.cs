using System.CommandLine;

namespace Pretrain.Cli.Commands;

/// <summary>`--config FILE` and `--set KEY=VALUE`, shared by every command that loads a run config.</summary>
internal sealed class ConfigOptions
{
    public Option<string> Config { get; } = new("--config", "-c")
    {
        Description = "Run config YAML file (may inherit from another with `base: other.yaml`)",
        Required = true,
        HelpName = "FILE",
    };

    public Option<string[]> Set { get; } = new("--set")
    {
        Description = "Override one config key, e.g. --set optimizer.lr=0.001 or --set sdmp.lambda_range=[0.1,0.9]; repeatable",
        HelpName = "KEY=VALUE",
        DefaultValueFactory = _ => [],
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(Set);
    }

    public Pretrain.Config.RunConfig Load(ParseResult parse) =>
        Pretrain.Config.ConfigLoader.Load(parse.GetRequiredValue(Config), parse.GetValue(Set) ?? []);
}
