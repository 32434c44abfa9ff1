using System.Diagnostics;
using Pretrain.Tests.Cli;
using Pretrain.Tests.Config;
using Xunit;

namespace Pretrain.Tests.Eval;

/// <summary>A fact that needs Debian's python3-torch and python3-torchvision for /usr/bin/python3:
/// skipped, with the reason, where they are not installed (CI installs neither).</summary>
public sealed class TorchvisionFactAttribute : FactAttribute
{
    public TorchvisionFactAttribute()
    {
        if (!TorchvisionInteropTests.PythonHasTorchvision())
            Skip = "/usr/bin/python3 has no torch/torchvision (apt-get install python3-torch python3-torchvision)";
    }
}

/// <summary>scripts/check_export.py, the real reader: an exported ResNet loads into torchvision with
/// strict=True and computes our features to 1e-4.</summary>
[Collection("TorchGlobalState")]
public class TorchvisionInteropTests
{
    internal static bool PythonHasTorchvision()
    {
        if (!File.Exists("/usr/bin/python3")) return false;
        var (code, _) = Python("-c", "import torch, torchvision");
        return code == 0;
    }

    static (int Code, string Output) Python(params string[] args)
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }

    [TorchvisionFact]
    public void AnExportedResNet18LoadsStrictlyIntoTorchvisionAndGivesOurFeatures()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("r18.yaml", "data:\n  workers: 0\n  synthetic: {train_size: 16, val_size: 4, size: 32}\n" +
            "model:\n  arch: resnet18\nmethod:\n  mocov3: {hidden_dim: 32, out_dim: 8}\n" +
            "augment:\n  views:\n    - {name: a, crop_size: 32}\n    - {name: b, crop_size: 32}\n" +
            "training:\n  batch_size: 8\n  max_steps: 2\n  epochs: 1\nlogging:\n  tensorboard: false\n");
        var run = dir.PathOf("run");
        Assert.Equal(0, CliResult.Run(["run", "--config", file, "--output", run]).ExitCode);
        var export = CliResult.Run(["export", "--checkpoint", run]);
        Assert.Equal(0, export.ExitCode);
        Assert.Contains("loads into torchvision 'resnet18' (strict, fc aside)", export.Out);

        var (code, output) = Python(RepoFiles.Path("scripts", "check_export.py"), Path.Combine(run, "export", "backbone.safetensors"));
        Assert.True(code == 0, output);
        Assert.Contains("loaded with strict=True into ResNet", output);
        Assert.Matches(@"features: \(2, 512\) on the check input; max \|pretrain - torch\| = [0-9.e+-]+ .*tolerance 0.0001: OK", output);
    }
}
