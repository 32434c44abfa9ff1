using System.CommandLine;
using Pretrain.Eval;
using static TorchSharp.torch;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain export`: the backbone of a checkpoint alone, as safetensors (timm names) and in TorchSharp's format.</summary>
internal static class ExportCommand
{
    public static Command Create(CliSession session)
    {
        var options = new EvalOptions(withConfig: false);
        var output = new Option<string?>("--output", "-o")
        {
            Description = "The .safetensors file to write (default: RUN_DIR/export/backbone.safetensors); the TorchSharp file goes beside it as NAME.torchsharp.bin",
            HelpName = "FILE",
        };
        var command = new Command("export", "Write the backbone of a checkpoint as safetensors (timm key names) and in TorchSharp's format");
        options.AddTo(command);
        command.Options.Add(output);
        command.SetAction(parse => EvalOptions.InputErrorsAsUsage(() =>
        {
            using var model = PretrainedModel.Open(options.RequiredCheckpoint(parse, "export"), CPU, w => session.Err.WriteLine(w));
            var which = parse.GetValue(options.Backbone) ?? "default";
            var path = parse.GetValue(output) ?? Path.Combine(model.RunDir, "export", "backbone.safetensors");
            var files = BackboneExport.Write(model, which, path);
            session.Out.WriteLine($"{files.Safetensors}");
            session.Out.WriteLine($"{files.TorchSharp}");
            session.Out.WriteLine(files.Metadata.TryGetValue("timm_model", out var timm)
                ? $"backbone '{which}' of {model.CheckpointPath} (step {model.Step}); loads into timm '{timm}'"
                : $"backbone '{which}' of {model.CheckpointPath} (step {model.Step})");
            return ExitCodes.Success;
        }));
        return command;
    }
}
