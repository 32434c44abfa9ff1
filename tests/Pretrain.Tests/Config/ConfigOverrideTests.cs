using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

public class ConfigOverrideTests
{
    [Fact]
    public void OverridesConvertToThePropertyTypes()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "training:\n  batch_size: 16\n");

        var c = ConfigLoader.Load(file,
        [
            "training.batch_size=64",
            "optimizer.lr=0.001",
            "sdmp.enabled=true",
            "experiment.name=exp_1",
            "experiment.seed=12345678901",
            "sdmp.lambda_range=[0.2, 0.8]",
            "model.layers=[2,2,2]",
            "sdmp.ops=[mixup,cutmix]",
            "data.path=",
        ]);

        Assert.Equal(64, c.Training.BatchSize);
        Assert.Equal(0.001, c.Optimizer.Lr);
        Assert.True(c.Sdmp.Enabled);
        Assert.Equal("exp_1", c.Experiment.Name);
        Assert.Equal(12345678901L, c.Experiment.Seed);
        Assert.Equal([0.2, 0.8], c.Sdmp.LambdaRange);
        Assert.Equal([2, 2, 2], c.Model.Layers);
        Assert.Equal(["mixup", "cutmix"], c.Sdmp.Ops);
        Assert.Null(c.Data.Path);
    }

    [Fact]
    public void OverridesReachNestedKeysAbsentFromTheFileAndListItems()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "experiment:\n  name: n\n");

        var c = ConfigLoader.Load(file, ["method.dino.out_dim=1024", "augment.views.1.crop_size=96", "experiment.name='007'"]);

        Assert.Equal(1024, c.Method.Dino.OutDim);
        Assert.Equal(2048, c.Method.Dino.HiddenDim);
        Assert.Equal(224, c.Augment.Views[0].CropSize);
        Assert.Equal(96, c.Augment.Views[1].CropSize);
        Assert.Equal("view2", c.Augment.Views[1].Name);
        Assert.Equal("007", c.Experiment.Name);
    }

    [Fact]
    public void LaterOverridesWin()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "optimizer:\n  name: lars\n");
        var c = ConfigLoader.Load(file, ["optimizer.name=sgd", "optimizer.name=adamw"]);
        Assert.Equal("adamw", c.Optimizer.Name);
    }

    [Theory]
    [InlineData("optimizer.wieght_decay=1", "--set optimizer.wieght_decay=1: optimizer.wieght_decay: unknown key (did you mean 'weight_decay'?)")]
    [InlineData("optimiser.lr=1", "--set optimiser.lr=1: optimiser: unknown key (did you mean 'optimizer'?)")]
    [InlineData("optimizer.lr=abc", "--set optimizer.lr=abc: optimizer.lr: expected a number, got 'abc'")]
    [InlineData("training.batch_size=2.5", "--set training.batch_size=2.5: training.batch_size: expected an integer, got '2.5'")]
    [InlineData("training.batch_size=0", "--set training.batch_size=0: training.batch_size: must be >= 1, got 0")]
    [InlineData("sdmp.lambda_range=0.5", "--set sdmp.lambda_range=0.5: sdmp.lambda_range: expected a list such as [a, b], got '0.5'")]
    [InlineData("augment.views.5.crop_size=3", "--set augment.views.5.crop_size=3: augment.views.5: index 5 is out of range (the list has 2 items)")]
    [InlineData("optimizer.lr", "--set optimizer.lr: expected KEY=VALUE with a dotted key, e.g. --set optimizer.lr=0.001")]
    [InlineData("base=other.yaml", "--set base=other.yaml: base: can only be given inside a config file")]
    public void OverrideErrorsNameTheOverride(string setting, string expected)
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "training:\n  epochs: 1\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file, [setting]));
        Assert.Equal(expected, e.Message);
    }
}
