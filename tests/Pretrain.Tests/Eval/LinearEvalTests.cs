using System.Text.Json.Nodes;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Eval;
using Pretrain.Tests.Training;
using Serilog.Core;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Eval;

public class LinearEvalTests
{
    static LinearEvaluation.Options Options(string dir, bool resume = false, bool stop = false) =>
        new(dir, "test", resume, Logger.None, stop ? new CancellationToken(true) : CancellationToken.None);

    [Fact]
    public void ProtocolDefaultsFollowTheRecipes()
    {
        var cfg = EvalFixtures.TinyResNet();
        cfg.Eval.Linear.Epochs = 0;
        cfg.Eval.Linear.BatchSize = 512;
        var moco = LinearEvalProtocol.Resolve(cfg, 1000);
        Assert.Equal(("mocov3", 90, 0.1, 0.2, "fast"), (moco.ProtocolName, moco.Epochs, moco.BaseLr, moco.Lr, moco.ModeName));
        cfg.Model.Arch = "vit";
        Assert.Equal(6.0, LinearEvalProtocol.Resolve(cfg, 1000).Lr);
        Assert.Equal("full", LinearEvalProtocol.Resolve(cfg, LinearEvalProtocol.FastModeMaxSamples + 1).ModeName);
        cfg.Method.Name = "dino";
        var dino = LinearEvalProtocol.Resolve(cfg, 10);
        Assert.Equal(("dino", 100, 2e-3), (dino.ProtocolName, dino.Epochs, dino.Lr));
        Assert.Equal(dino.Lr * 0.5 * (1 + Math.Cos(Math.PI * 30 / 100)), dino.LrAt(30), 12);
        // Val resize: bilinear in MoCo v3's main_lincls (torchvision default), bicubic in DINO's eval_linear.
        Assert.Equal(Pretrain.Config.ResampleFilter.Bicubic, dino.EvalResizeFilter);
        Assert.Equal(Pretrain.Config.ResampleFilter.Bilinear, moco.EvalResizeFilter);
        Assert.Contains("mode fast (classifier on cached un-augmented features)", moco.Summary);
    }

    [Fact]
    public void DefaultBatchIs1024AsInBothOfficialProtocols()
    {
        var l = new Pretrain.Config.LinearEvalConfig();
        Assert.Equal(1024, l.BatchSize);
        var cfg = EvalFixtures.TinyResNet();
        cfg.Eval.Linear = l;
        Assert.Equal(0.1 * 4, LinearEvalProtocol.Resolve(cfg, 10).Lr, 12);
    }

    [Fact]
    public void LinearlySeparableFeaturesAreClassifiedPerfectly()
    {
        // Three classes around orthogonal centres in 8-D with small noise: perfectly separable by a linear map.
        var gen = new Generator(11);
        Tensor Make(int perClass, out Tensor y)
        {
            var labels = arange(3).repeat_interleave(perClass);
            y = labels;
            return eye(8).narrow(0, 0, 3).index_select(0, labels) * 3 + randn(3 * perClass, 8, generator: gen) * 0.3;
        }
        var trainX = Make(100, out var trainY);
        var valX = Make(30, out var valY);
        var protocol = new LinearEvalProtocol(MethodKind.Mocov3, 10, 32, 0.5, LinearModeKind.Fast, 4, false, "default");
        using var training = new LinearClassifierTraining(8, 3, protocol, seed: 0, CPU);
        var completed = LinearEvaluation.Epochs(training, e => training.CachedBatches(trainX, trainY, e),
            new FeatureExtractor.Features(valX, valY), null, new JsonObject(), Options(TinyRun.TempDir()));
        Assert.True(completed);
        Assert.Equal(10, training.History.Count);
        Assert.Equal(100.0, training.History[^1].Top1);
        Assert.Equal(100.0, training.History[^1].Top5);
        Assert.True(training.History[^1].TrainLoss < training.History[0].TrainLoss);
        Assert.Equal(protocol.Lr, training.History[0].Lr);
        Assert.Equal(protocol.Lr * 0.5 * (1 + Math.Cos(Math.PI * 9 / 10)), training.History[^1].Lr, 12);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("full")]
    public void BackboneWeightsAndBatchNormStatisticsAreUntouched(string mode)
    {
        var cfg = EvalFixtures.TinyResNet();
        cfg.Eval.Linear.Mode = mode;
        cfg.Eval.Linear.Epochs = 2;
        using var backbone = EvalFixtures.Backbone(cfg);
        backbone.train();                                     // must be switched to eval mode and back
        var before = EvalFixtures.Bytes(backbone);
        var dir = TinyRun.TempDir();
        var report = LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(dir));
        Assert.True(backbone.training);
        var after = EvalFixtures.Bytes(backbone);
        Assert.Contains(after.Keys, k => k.EndsWith("running_mean"));
        foreach (var (k, v) in before) Assert.True(v.AsSpan().SequenceEqual(after[k]), $"{k} changed");
        Assert.Equal(mode, report.Protocol.ModeName);
        Assert.Equal(2, report.History.Count);

        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, LinearEvalReport.FileName)))!;
        Assert.Equal(report.History.Max(e => Math.Round(e.Top1, 4)), json["best_top1"]!.GetValue<double>());
        Assert.Equal(Math.Round(report.History[^1].Top1, 4), json["last_top1"]!.GetValue<double>());
        Assert.Equal(2, json["history"]!.AsArray().Count);
        Assert.True(File.Exists(Path.Combine(dir, LinearEvaluation.FolderName, "epoch-0002.ckpt")));
    }

    [Fact]
    public void AChangedBackboneFailsTheCheck()
    {
        var cfg = EvalFixtures.TinyResNet();
        using var backbone = EvalFixtures.Backbone(cfg);
        var print = BackboneFingerprint.Take(backbone);
        using (no_grad()) backbone.named_buffers().First(b => b.name.EndsWith("running_var")).buffer.add_(1e-3);
        var e = Assert.Throws<InvalidOperationException>(() => print.Verify(backbone, "test"));
        Assert.Contains("running_var", e.Message);
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("full")]
    public void StoppedAndResumedEvaluationEndsWithTheSameClassifier(string mode)
    {
        var cfg = EvalFixtures.TinyResNet();
        cfg.Eval.Linear.Mode = mode;
        cfg.Eval.Linear.Epochs = 3;
        using var backbone = EvalFixtures.Backbone(cfg);

        var whole = TinyRun.TempDir();
        var expected = LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(whole));

        var split = TinyRun.TempDir();
        var first = LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(split, stop: true));              // stops after epoch 1
        Assert.False(first.Completed);
        Assert.Single(first.History);
        var second = LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(split, resume: true, stop: true)); // epoch 2
        Assert.Equal(2, second.History.Count);
        var done = LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(split, resume: true));
        Assert.True(done.Completed);
        Assert.Equal(expected.History, done.History);

        var a = CheckpointTensors(whole);
        var b = CheckpointTensors(split);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a) Assert.True(v.AsSpan().SequenceEqual(b[k]), $"{k} differs after resume");
    }

    [Fact]
    public void ANewEvaluationRefusesAFolderThatHoldsOneAndResumeRefusesOtherSettings()
    {
        var cfg = EvalFixtures.TinyResNet();
        cfg.Eval.Linear.Epochs = 1;
        using var backbone = EvalFixtures.Backbone(cfg);
        var dir = TinyRun.TempDir();
        LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(dir));
        var again = Assert.Throws<Pretrain.Config.UserInputException>(() => LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(dir)));
        Assert.Contains("--resume", again.Message);
        cfg.Eval.Linear.BaseLr = 0.5;
        var other = Assert.Throws<Pretrain.Config.UserInputException>(() => LinearEvaluation.Run(backbone, cfg, Splits(cfg), CPU, Options(dir, resume: true)));
        Assert.Contains("other settings", other.Message);
    }

    [Fact]
    public void DinoProtocolConcatenatesTheLastBlocksClsTokensAndThePatchMean()
    {
        var cfg = TinyRun.Config();
        cfg.Model.Depth = 3;
        manual_seed(2);
        using var vit = (Pretrain.Models.VisionTransformer)Pretrain.Models.BackboneFactory.Create(cfg.Model, 16);
        vit.eval();
        var x = randn(2, 3, 16, 16);
        var p = new LinearEvalProtocol(MethodKind.Dino, 1, 8, 1e-3, LinearModeKind.Fast, 2, true, "default");
        using var _ = no_grad();
        var f = p.Features(vit)(x);
        var tokens = vit.LastBlockTokens(x, 2);
        Assert.Equal([2L, 3 * 32], f.shape);
        Assert.True(f.eq(cat([tokens.Cls[0], tokens.Cls[1], tokens.PatchMean!], 1)).all().item<bool>());
        Assert.True(tokens.Cls[1].allclose(vit.call(x), 1e-5, 1e-6));   // the last CLS is the pooled feature
        var moco = new LinearEvalProtocol(MethodKind.Mocov3, 1, 8, 1e-3, LinearModeKind.Fast, 2, true, "default");
        Assert.True(moco.Features(vit)(x).eq(vit.call(x)).all().item<bool>());
    }

    static DataSplits Splits(RunConfig cfg) => DataSplits.Open(cfg.Data, cfg.Experiment.Seed);

    static Dictionary<string, byte[]> CheckpointTensors(string dir)
    {
        var c = Pretrain.Checkpoints.CheckpointStore.Load(Path.Combine(dir, LinearEvaluation.FolderName, "latest.ckpt"));
        var d = c.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().bytes.ToArray());
        c.DisposeTensors();
        return d;
    }
}
