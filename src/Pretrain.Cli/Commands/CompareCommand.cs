using System.CommandLine;
using Pretrain.Config;
using Pretrain.Reports;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain compare`: the differing config keys and the final results of run folders, side by side.</summary>
internal static class CompareCommand
{
    public static Command Create(CliSession session)
    {
        var runs = new Argument<string[]>("RUN_DIR") { Description = "Run folders (each with a metrics.jsonl)", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a text table" };
        var markdown = new Option<bool>("--markdown") { Description = "Print Markdown tables instead of a text table" };
        var command = new Command("compare", "Compare run folders: config keys whose values differ, final probe, k-NN / linear evaluation, last step, wall time, images/s");
        command.Arguments.Add(runs);
        command.Options.Add(json);
        command.Options.Add(markdown);
        command.SetAction(parse =>
        {
            if (parse.GetValue(json) && parse.GetValue(markdown)) throw new UserInputException("--json and --markdown: choose one");
            var folders = RunReport.LoadAll(parse.GetValue(runs) ?? []);
            foreach (var w in folders.SelectMany(f => f.Warnings)) session.Err.WriteLine($"warning: {w}");
            var comparison = RunComparison.Build(folders);
            if (parse.GetValue(json)) session.Out.WriteLine(comparison.ToJsonText());
            else session.Out.Write(parse.GetValue(markdown) ? comparison.ToMarkdown() : comparison.ToText());
            return ExitCodes.Success;
        });
        return command;
    }
}
