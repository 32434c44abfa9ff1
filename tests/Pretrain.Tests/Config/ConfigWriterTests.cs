using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

public class ConfigWriterTests
{
    [Fact]
    public void WrittenConfigLoadsBackToTheSameConfig()
    {
        using var dir = new TempConfigDir();
        dir.Write("base.yaml", "method:\n  name: dino\n  dino:\n    out_dim: 4096\n");
        var file = dir.Write("x.yaml", """
            base: base.yaml
            experiment: {name: rt, seed: 7, device: "cuda:1"}
            augment:
              views:
                - {name: global, crop_size: 32, scale: [0.4, 1.0], ratio: [0.75, 1.3333333333333333], solarize_p: 0.2}
                - {name: local, count: 6, crop_size: 16, scale: [0.05, 0.4], interpolation: bicubic}
            sdmp: {enabled: true, ops: [cutmix, mixup], lambda_range: [0.25, 0.75]}
            optimizer: {name: lars, eps: 1.0e-6, weight_decay_end: 0.4}
            model: {arch: resnet, layers: [1, 1], widths: [16, 32], cifar_stem: true}
            """);

        var first = ConfigLoader.Load(file, ["training.batch_size=96"]);
        var yaml = ConfigWriter.ToYaml(first);
        var written = dir.Write("run/config.yaml", yaml);
        var second = ConfigLoader.Load(written);

        Assert.Equal(yaml, ConfigWriter.ToYaml(second));
        Assert.Equal(4.0 / 3.0, second.Augment.Views[0].Ratio[1]);
        Assert.Equal(6, second.Augment.Views[1].Count);
        Assert.Equal("bicubic", second.Augment.Views[1].Interpolation);
        Assert.Equal(1.0e-6, second.Optimizer.Eps);
        Assert.Equal(4096, second.Method.Dino.OutDim);
        Assert.Equal(96, second.Training.BatchSize);
        Assert.Equal("cuda:1", second.Experiment.Device);
        Assert.Equal([16, 32], second.Model.Widths);
        Assert.DoesNotContain("base:", yaml);
        Assert.Contains("  lambda_range: [0.25, 0.75]\n", yaml);
    }

    [Fact]
    public void DefaultConfigRoundTrips()
    {
        using var dir = new TempConfigDir();
        var defaults = new RunConfig();
        defaults.Optimizer.NoDecay = "none"; // `auto` is resolved on load
        var yaml = ConfigWriter.ToYaml(defaults);
        var loaded = ConfigLoader.Load(dir.Write("defaults.yaml", yaml));
        Assert.Equal(yaml, ConfigWriter.ToYaml(loaded));
        Assert.Equal(["mixup", "cutmix", "resizemix"], loaded.Sdmp.Ops);
        Assert.Equal("view2", loaded.Augment.Views[1].Name);
        Assert.Equal(0.2, loaded.Augment.Views[1].SolarizeP);
    }
}
