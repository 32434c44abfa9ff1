using System.CommandLine;
using Pretrain.Augment;
using Pretrain.Composition;
using Pretrain.Data;
using static TorchSharp.torch;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain data inspect`: counts per split and class, image sizes, and a PNG grid of augmented
/// views (people check augmentations by looking).</summary>
internal static class DataInspectCommand
{
    public static Command Create(CliSession session)
    {
        var options = new ConfigOptions();
        var output = new Option<string?>("--output", "-o") { Description = "Folder for the PNG grid (default: the run folder experiment.output/experiment.name)", HelpName = "DIR" };
        var samples = new Option<int>("--samples") { Description = "Samples (rows) in the grid", DefaultValueFactory = _ => 6, HelpName = "N" };
        var command = new Command("inspect", "Counts per split and class, image size statistics, and a PNG grid of augmented views");
        options.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(samples);
        command.SetAction(parse =>
        {
            var cfg = options.Load(parse);
            var folder = parse.GetValue(output) ?? Path.Combine(cfg.Experiment.Output, cfg.Experiment.Name);
            Directory.CreateDirectory(folder);
            var splits = RunBuilder.Data(cfg);
            var augmenter = new BatchAugmenter(cfg.Augment);
            var report = DataInspector.Inspect(splits, cfg, folder, v => augmenter.Apply(v, CPU, normalize: false), gridSamples: parse.GetValue(samples));
            session.Out.WriteLine(report.ToText());
            return ExitCodes.Success;
        });
        return command;
    }
}
