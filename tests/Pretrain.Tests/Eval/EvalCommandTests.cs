using System.Text.Json.Nodes;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Eval;
using Pretrain.Tests.Cli;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Eval;

public class EvalCommandTests
{
    static JsonNode Json(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    [Fact]
    public void KnnEvalWritesOneEntryPerKAndReusesSavedFeatures()
    {
        var run = EvalFixtures.TrainedRunCopy();
        var features = Path.Combine(run, "features.ckpt");
        var r = CliResult.Run(["knn-eval", "--checkpoint", run, "--set", "eval.knn_k=[1,5,500]", "--save-features", features]);
        Assert.True(r.ExitCode == 0, r.Err);
        var json = Json(Path.Combine(run, KnnEvaluation.FileName));
        Assert.Equal(0.07, json["temperature"]!.GetValue<double>());
        Assert.Equal(96, json["train_samples"]!.GetValue<int>());
        Assert.Equal(32, json["val_samples"]!.GetValue<int>());
        var results = json["results"]!.AsObject();
        Assert.Equal(["1", "5", "500"], results.Select(kv => kv.Key));

        // The same numbers as the library on the same backbone.
        using var model = PretrainedModel.Open(run, CPU);
        using var set = KnnEvaluation.ExtractFeatures(model.Backbone(), model.Config, DataSplits.Open(model.Config.Data, model.Config.Experiment.Seed), CPU);
        var direct = KnnClassifier.Evaluate(set.TrainX, set.TrainY, set.ValX, set.ValY, [1, 5, 500], 0.07, set.NumClasses);
        for (int i = 0; i < 3; i++)
        {
            var entry = results[direct[i].K.ToString()]!;
            Assert.Equal(Math.Round(direct[i].Top1, 4), entry["top1"]!.GetValue<double>());
            Assert.Equal(Math.Round(direct[i].Top5, 4), entry["top5"]!.GetValue<double>());
        }

        var outDir = Path.Combine(run, "from-features");
        var again = CliResult.Run(["knn-eval", "--features", features, "--set", "eval.knn_k=[1,5,500]", "--output", outDir]);
        Assert.True(again.ExitCode == 0, again.Err);
        Assert.Equal(results.ToJsonString(), Json(Path.Combine(outDir, KnnEvaluation.FileName))["results"]!.ToJsonString());
    }

    [Fact]
    public void LinearEvalWritesItsReportAndRefusesToOverwriteWithoutResume()
    {
        var run = EvalFixtures.TrainedRunCopy();
        string[] args = ["linear-eval", "--checkpoint", run, "--set", "eval.linear.epochs=2", "--set", "eval.linear.batch_size=16"];
        var r = CliResult.Run(args);
        Assert.True(r.ExitCode == 0, r.Err);
        var json = Json(Path.Combine(run, LinearEvalReport.FileName));
        Assert.Equal("mocov3", json["protocol"]!.GetValue<string>());
        Assert.Equal("fast", json["mode"]!.GetValue<string>());             // auto: 96 samples
        Assert.Equal(3.0 * 16 / 256, json["lr"]!.GetValue<double>());       // ViT base lr 3
        var history = json["history"]!.AsArray();
        Assert.Equal([1, 2], history.Select(h => h!["epoch"]!.GetValue<int>()));
        Assert.Equal(history.Max(h => h!["top1"]!.GetValue<double>()), json["best_top1"]!.GetValue<double>());
        Assert.Equal(history[^1]!["top1"]!.GetValue<double>(), json["last_top1"]!.GetValue<double>());
        Assert.Equal(history[^1]!["top5"]!.GetValue<double>(), json["top5"]!.GetValue<double>());
        Assert.True(File.Exists(Path.Combine(run, LinearEvaluation.FolderName, "log.jsonl")));

        var again = CliResult.Run(args);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--resume", again.ErrLine);
        var resumed = CliResult.Run([.. args, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Err);
        Assert.Equal(history.ToJsonString(), Json(Path.Combine(run, LinearEvalReport.FileName))["history"]!.ToJsonString());
    }

    [Fact]
    public void ExportWritesTheBackboneInBothFormats()
    {
        var run = EvalFixtures.TrainedRunCopy();
        var file = Path.Combine(run, "out", "vit.safetensors");
        var r = CliResult.Run(["export", "--checkpoint", run, "--backbone", "momentum", "--output", file]);
        Assert.True(r.ExitCode == 0, r.Err);
        using var model = PretrainedModel.Open(run, CPU);
        var expected = TimmNames.Tensors(model.Backbone("momentum"));
        var (tensors, meta) = SafetensorsFile.Read(file);
        Assert.Equal(expected.Keys.Order(), tensors.Keys.Order());
        foreach (var (k, t) in expected) Assert.True(t.eq(tensors[k]).all().item<bool>(), $"{k} differs");
        Assert.Equal("momentum", meta["backbone"]);
        Assert.Equal("2", meta["num_heads"]);
        Assert.True(File.Exists(BackboneExport.TorchSharpPath(file)));
        Assert.False(model.Backbone("momentum").named_parameters().Zip(model.Backbone("query").named_parameters()).All(p => p.First.parameter.eq(p.Second.parameter).all().item<bool>()));
    }

    [Theory]
    [InlineData("linear-eval")]
    [InlineData("knn-eval")]
    [InlineData("export")]
    public void AMissingCheckpointIsAOneLineUsageError(string command)
    {
        var none = CliResult.Run([command]);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("--checkpoint", none.ErrLine);
        var missing = CliResult.Run([command, "--checkpoint", "/nonexistent/run"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/nonexistent/run", missing.ErrLine);
    }

    [Fact]
    public void AnOverlayFileSetsEvalKeysAndItsErrorsNameTheFile()
    {
        var run = EvalFixtures.TrainedRunCopy();
        var overlay = Path.Combine(run, "eval.yaml");
        File.WriteAllText(overlay, "eval:\n  knn_k: [3]\n  knn_temperature: 0.5\n");
        var r = CliResult.Run(["knn-eval", "--checkpoint", run, "--config", overlay]);
        Assert.True(r.ExitCode == 0, r.Err);
        var json = Json(Path.Combine(run, KnnEvaluation.FileName));
        Assert.Equal(0.5, json["temperature"]!.GetValue<double>());
        Assert.Equal(["3"], json["results"]!.AsObject().Select(kv => kv.Key));

        File.WriteAllText(overlay, "eval:\n  linear:\n    mode: fastest\n");
        var bad = CliResult.Run(["linear-eval", "--checkpoint", run, "--config", overlay]);
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("eval.yaml", bad.ErrLine);
        Assert.Contains("eval.linear.mode", bad.ErrLine);
    }
}
