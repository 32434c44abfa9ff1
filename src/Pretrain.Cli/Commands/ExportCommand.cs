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
            session.Out.WriteLine($"{files.Check}");
            var m = files.Metadata;
            var loads = m.TryGetValue("timm_model", out var timm) ? $"loads into timm '{timm}' (strict)"
                : m.TryGetValue("torchvision_model", out var tv) ? $"loads into torchvision '{tv}' (strict, fc aside)"
                : m.TryGetValue("python_constructor", out var ctor) ? $"no stock model has this architecture; it loads (strict) into {ctor}"
                : "no stock timm/torchvision model has this architecture (the CIFAR stem)";
            session.Out.WriteLine($"backbone '{which}' of {model.CheckpointPath} (step {model.Step}); {loads}");
            return ExitCodes.Success;
        }));
        return command;
    }
}
