using System.CommandLine;
using Pretrain.Config;
using Pretrain.Reports;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain plot`: a PNG (and SVG) of one or more runs' metrics, a panel per metric group, runs overlaid.</summary>
internal static class PlotCommand
{
    public static Command Create(CliSession session)
    {
        var runs = new Argument<string[]>("RUN_DIR") { Description = "Run folders (each with a metrics.jsonl)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "The PNG to write (default: RUN_DIR/plot.png for one run, ./compare.png for several)", HelpName = "FILE.png" };
        var svg = new Option<bool>("--svg") { Description = "Also write an SVG next to the PNG (same name, .svg)" };
        var metrics = new Option<string?>("--metrics") { Description = "Plot only these metrics, comma-separated (e.g. loss,loss_mix,knn_top1); default: every group's usual metrics", HelpName = "NAME,..." };
        var smooth = new Option<int>("--smooth") { Description = "Moving average over N points (the raw line stays, faint, behind it)", DefaultValueFactory = _ => 1, HelpName = "N" };
        var x = new Option<string>("--x") { Description = "x axis: step or epoch (fractional epochs when the steps per epoch follow from the log)", DefaultValueFactory = _ => "step", HelpName = "step|epoch" };
        x.AcceptOnlyFromAmong("step", "epoch");
        var command = new Command("plot", "Plot the metrics of one or more run folders (loss terms, schedules, k-NN monitor, throughput, DINO diagnostics, results) into one PNG");
        command.Arguments.Add(runs);
        foreach (var o in new Option[] { output, svg, metrics, smooth, x }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var dirs = parse.GetValue(runs) ?? [];
            int n = parse.GetValue(smooth);
            if (n < 1) throw new UserInputException($"--smooth {n}: must be >= 1");
            var folders = RunReport.LoadAll(dirs);
            foreach (var w in folders.SelectMany(f => f.Warnings)) session.Err.WriteLine($"warning: {w}");
            var png = parse.GetValue(output) ?? (folders.Count == 1 ? Path.Combine(folders[0].Path, "plot.png") : "compare.png");
            var names = parse.GetValue(metrics)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var options = new PlotOptions(names, n, parse.GetValue(x) == "epoch" ? PlotXAxis.Epoch : PlotXAxis.Step);
            var result = RunPlot.Render(folders, options, png, parse.GetValue(svg) ? Path.ChangeExtension(png, ".svg") : null);
            foreach (var w in result.Warnings) session.Err.WriteLine($"warning: {w}");
            session.Out.WriteLine(result.PngPath);
            if (result.SvgPath is not null) session.Out.WriteLine(result.SvgPath);
            return ExitCodes.Success;
        });
        return command;
    }
}
