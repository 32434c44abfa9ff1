using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

/// <summary>Every kind of config error, with its exact one-line message: file:line:col: key.path: problem.</summary>
public class ConfigValidationTests
{
    static string ErrorOf(TempConfigDir dir, string yaml)
    {
        var file = dir.Write("x.yaml", yaml);
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file));
        Assert.DoesNotContain('\n', e.Message);
        var prefix = ConfigPaths.Display(file);
        Assert.StartsWith(prefix, e.Message);
        return e.Message[prefix.Length..];
    }

    [Theory]
    [InlineData("optimizer:\n  name: adamw\n  wieght_decay: 0.1\n", ":3:3: optimizer.wieght_decay: unknown key (did you mean 'weight_decay'?)")]
    [InlineData("optimiser:\n  lr: 1\n", ":1:1: optimiser: unknown key (did you mean 'optimizer'?)")]
    [InlineData("training:\n  frobnicate: 1\n", ":2:3: training.frobnicate: unknown key")]
    [InlineData("augment:\n  views:\n    - name: a\n      crop_sise: 3\n", ":4:7: augment.views[0].crop_sise: unknown key (did you mean 'crop_size'?)")]
    public void UnknownKeys(string yaml, string expected)
    {
        using var dir = new TempConfigDir();
        Assert.Equal(expected, ErrorOf(dir, yaml));
    }

    [Theory]
    [InlineData("training:\n  batch_size: abc\n", ":2:15: training.batch_size: expected an integer, got 'abc'")]
    [InlineData("optimizer:\n  lr: fast\n", ":2:7: optimizer.lr: expected a number, got 'fast'")]
    [InlineData("sdmp:\n  enabled: maybe\n", ":2:12: sdmp.enabled: expected true or false, got 'maybe'")]
    [InlineData("sdmp:\n  lambda_range: 0.5\n", ":2:17: sdmp.lambda_range: expected a list such as [a, b], got '0.5'")]
    [InlineData("optimizer: 3\n", ":1:12: optimizer: expected a mapping of keys, got '3'")]
    [InlineData("experiment:\n  name:\n", ":2:8: experiment.name: expected a string, got nothing")]
    [InlineData("sdmp:\n  lambda_range: [0.1, x]\n", ":2:23: sdmp.lambda_range[1]: expected a number, got 'x'")]
    [InlineData("training:\n  epochs: [1]\n", ":2:11: training.epochs: expected an integer, got a list")]
    public void WrongTypes(string yaml, string expected)
    {
        using var dir = new TempConfigDir();
        Assert.Equal(expected, ErrorOf(dir, yaml));
    }

    [Theory]
    [InlineData("training:\n  batch_size: 0\n", ":2:15: training.batch_size: must be >= 1, got 0")]
    [InlineData("sdmp:\n  lambda_range: [0.6, 0.4]\n", ":2:17: sdmp.lambda_range: needs [a, b] with 0 <= a <= b <= 1, got [0.6, 0.4]")]
    [InlineData("sdmp:\n  lambda_range: [-0.1, 0.4]\n", ":2:17: sdmp.lambda_range: needs [a, b] with 0 <= a <= b <= 1, got [-0.1, 0.4]")]
    [InlineData("sdmp:\n  lambda_range: [0.1, 0.2, 0.3]\n", ":2:17: sdmp.lambda_range: needs [a, b] with 0 <= a <= b <= 1, got 3 values")]
    [InlineData("augment:\n  views:\n    - flip_p: 1.5\n", ":3:15: augment.views[0].flip_p: must be a probability in [0, 1], got 1.5")]
    [InlineData("method:\n  dino:\n    momentum_teacher: 1.2\n", ":3:23: method.dino.momentum_teacher: must be a probability in [0, 1], got 1.2")]
    [InlineData("optimizer:\n  eps: 0\n", ":2:8: optimizer.eps: must be > 0, got 0")]
    [InlineData("data:\n  fraction: 0\n", ":2:13: data.fraction: must be in (0, 1], got 0")]
    [InlineData("model:\n  embed_dim: 100\n  num_heads: 3\n", ":2:14: model.embed_dim: 100 is not divisible by model.num_heads 3")]
    [InlineData("model:\n  arch: vit_tiny\n  channels_last: true\n", ":3:18: model.channels_last: applies to ResNets only (model.arch is vit_tiny)")]
    [InlineData("experiment:\n  device: gpu\n", ":2:11: experiment.device: must be auto, cpu, cuda or cuda:N, got 'gpu'")]
    public void OutOfRangeValues(string yaml, string expected)
    {
        using var dir = new TempConfigDir();
        Assert.Equal(expected, ErrorOf(dir, yaml));
    }

    [Theory]
    [InlineData("method:\n  name: dinoo\n", ":2:9: method.name: 'dinoo' is not one of mocov3, dino (did you mean 'dino'?)")]
    [InlineData("data:\n  source: imagenet\n", ":2:11: data.source: 'imagenet' is not one of synthetic, imagefolder, cifar10, cifar100, idx, filelist, shards")]
    [InlineData("data:\n  decoder: pillow\n", ":2:12: data.decoder: 'pillow' is not one of auto, skia, imagesharp")]
    [InlineData("optimizer:\n  name: adam\n", ":2:9: optimizer.name: 'adam' is not one of adamw, lars, sgd (did you mean 'adamw'?)")]
    [InlineData("sdmp:\n  target: softce\n", ":2:11: sdmp.target: 'softce' is not one of soft_ce, prob_mix (did you mean 'soft_ce'?)")]
    [InlineData("sdmp:\n  ops: [mixup, cutmx]\n", ":2:8: sdmp.ops: 'cutmx' is not one of mixup, cutmix, resizemix (did you mean 'cutmix'?)")]
    [InlineData("sdmp:\n  preset: paper\n", ":2:11: sdmp.preset: 'paper' is not one of none, official")]
    [InlineData("model:\n  arch: vit_large\n", ":2:9: model.arch: 'vit_large' is not one of vit_tiny, vit_small, vit_base, vit, resnet18, resnet50, resnet (did you mean 'vit_base'?)")]
    [InlineData("model:\n  pos_embed: rope\n", ":2:14: model.pos_embed: 'rope' is not one of sincos, learned")]
    [InlineData("augment:\n  views:\n    - interpolation: nearest\n", ":3:22: augment.views[0].interpolation: 'nearest' is not one of bilinear, bicubic")]
    [InlineData("augment:\n  stage: gpu\n", ":2:10: augment.stage: 'gpu' is not one of auto, loader, device")]
    [InlineData("data:\n  on_error: ignore\n", ":2:13: data.on_error: 'ignore' is not one of skip, fail")]
    [InlineData("optimizer:\n  clip_mode: norm\n", ":2:14: optimizer.clip_mode: 'norm' is not one of per_param, global")]
    [InlineData("optimizer:\n  lr_scaling: sqrt\n", ":2:15: optimizer.lr_scaling: 'sqrt' is not one of linear, none")]
    [InlineData("logging:\n  level: loud\n", ":2:10: logging.level: 'loud' is not one of verbose, debug, information, warning, error (or trace, info, warn, err)")]
    public void Enumerations(string yaml, string expected)
    {
        using var dir = new TempConfigDir();
        Assert.Equal(expected, ErrorOf(dir, yaml));
    }

    [Fact]
    public void DataPathsMustExistWhenTheSourceReadsThem()
    {
        using var dir = new TempConfigDir();
        var missing = dir.PathOf("no-such-folder");
        Assert.Equal($":3:9: data.path: no such file or folder: {missing} (relative paths resolve against {Environment.CurrentDirectory})",
            ErrorOf(dir, $"data:\n  source: imagefolder\n  path: {missing}\n"));

        // A default (absent) value has no line: the error points at the file.
        Assert.Equal(": data.path: required when data.source is cifar10 (or give data.train_path)",
            ErrorOf(dir, "data:\n  source: cifar10\n"));

        Directory.CreateDirectory(dir.PathOf("images"));
        var ok = dir.Write("ok.yaml", $"data:\n  source: imagefolder\n  path: {dir.PathOf("images")}\n");
        Assert.Equal(dir.PathOf("images"), ConfigLoader.Load(ok).Data.Path);

        // Synthetic data reads no files, so a stale path is ignored.
        var synthetic = dir.Write("syn.yaml", $"data:\n  source: synthetic\n  path: {missing}\n");
        Assert.Equal("synthetic", ConfigLoader.Load(synthetic).Data.Source);
    }

    [Fact]
    public void IdxPathMayBeAFileNamePrefix()
    {
        using var dir = new TempConfigDir();
        dir.Write("mnist/train-images-idx3-ubyte", "x");
        var file = dir.Write("ok.yaml", $"data:\n  source: idx\n  train_path: {dir.PathOf("mnist/train")}\n");
        Assert.Equal(dir.PathOf("mnist/train"), ConfigLoader.Load(file).Data.TrainPath);
    }

    [Fact]
    public void SyntaxErrorsAndMissingFiles()
    {
        using var dir = new TempConfigDir();
        var message = ErrorOf(dir, "training:\n  epochs: [1, 2\n");
        Assert.Matches(@"^:\d+:\d+: invalid YAML: ", message);

        var missing = dir.PathOf("absent.yaml");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(missing));
        Assert.Equal($"{ConfigPaths.Display(missing)}: config file not found", e.Message);

        Assert.Equal(":1:1: the top level must be a mapping of config sections (experiment:, data:, ...)", ErrorOf(dir, "- a\n- b\n"));
    }

    [Fact]
    public void EmptyFileMeansAllDefaults()
    {
        using var dir = new TempConfigDir();
        var c = ConfigLoader.Load(dir.Write("empty.yaml", "# nothing\n"));
        // optimizer.no_decay: auto resolves to MoCo v3 + AdamW's rule (MethodDefaults).
        var expected = new RunConfig();
        expected.Optimizer.NoDecay = "none";
        Assert.Equal(ConfigWriter.ToYaml(expected), ConfigWriter.ToYaml(c));
    }

    [Fact]
    public void OfficialSdmpPresetSetsTheReleasedRecipe()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "sdmp:\n  enabled: true\n  preset: official\n  ops: [mixup]\n  target: soft_ce\n");

        var s = ConfigLoader.Load(file).Sdmp;

        Assert.Equal(["resizemix"], s.Ops);
        Assert.Equal([0.1, 0.9], s.LambdaRange);
        Assert.Equal("prob_mix", s.Target);
    }
}

public class ConfigSectionTests
{
    [Fact]
    public void EmptySectionHeaderMeansDefaults()
    {
        using var dir = new TempConfigDir();
        var c = ConfigLoader.Load(dir.Write("x.yaml", "sdmp:\n  # enabled: true\ntraining:\n  epochs: 4\n"));
        Assert.False(c.Sdmp.Enabled);
        Assert.Equal(["mixup", "cutmix", "resizemix"], c.Sdmp.Ops);
        Assert.Equal(4, c.Training.Epochs);
    }
}
