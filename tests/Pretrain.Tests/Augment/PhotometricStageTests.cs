using Pretrain.Augment;
using Pretrain.Config;
using Pretrain.Data;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

/// <summary>augment.stage: the loader-side photometric ops give the device stage's views, deterministically.</summary>
[Collection("TorchGlobalState")]
public class PhotometricStageTests
{
    private static readonly AugmentConfig Augment = new()
    {
        Views =
        [
            new() { Name = "v1", CropSize = 20, Scale = [0.3, 1.0], BlurP = 1.0, SolarizeP = 0.0 },
            new() { Name = "v2", CropSize = 20, Scale = [0.3, 1.0], BlurP = 0.1, SolarizeP = 0.2, GrayscaleP = 0.5 },
        ],
    };

    private static SyntheticShapes Shapes() => new(new SyntheticDataConfig { TrainSize = 32, ValSize = 4, Size = 24, Seed = 3 }, true);

    private static TrainLoaderOptions Options(int workers, bool inLoader) => new()
    {
        BatchSize = 8, Seed = 21, Views = Augment.Views, Workers = workers, Prefetch = 2,
        Photometric = inLoader ? PhotometricStage.ForLoader(Augment, CPU) : null,
    };

    [Fact]
    public void LoaderStageGivesTheDeviceStageViews()
    {
        var augmenter = new BatchAugmenter(Augment);
        var host = new TrainLoader(Shapes(), Options(2, inLoader: true)).Epoch(1).ToList();
        var device = new TrainLoader(Shapes(), Options(2, inLoader: false)).Epoch(1).ToList();
        Assert.Equal(4, host.Count);
        for (int k = 0; k < host.Count; k++)
        for (int v = 0; v < 2; v++)
        {
            Assert.Null(device[k].Views[v].Normalized);
            Assert.Equal(device[k].Views[v].Pixels, host[k].Views[v].Pixels);
            using var a = augmenter.Apply(host[k].Views[v], CPU);
            using var b = augmenter.Apply(device[k].Views[v], CPU);
            Assert.Equal(new long[] { 8, 3, 20, 20 }, a.shape);
            Assert.True(a.allclose(b, rtol: 0, atol: 2e-4), $"batch {k} view {v}: max diff {(a - b).abs().max().item<float>()}");
            // Un-normalized output is the [0,1] image in both stages.
            using var ua = augmenter.Apply(host[k].Views[v], CPU, normalize: false);
            using var ub = augmenter.Apply(device[k].Views[v], CPU, normalize: false);
            Assert.True(ua.allclose(ub, rtol: 0, atol: 1e-4));
        }
    }

    [Fact]
    public void LoaderStageIsIdenticalWithOneAndThreeWorkers()
    {
        var one = new TrainLoader(Shapes(), Options(1, inLoader: true)).Epoch(0).ToList();
        var three = new TrainLoader(Shapes(), Options(3, inLoader: true)).Epoch(0).ToList();
        for (int k = 0; k < one.Count; k++)
        for (int v = 0; v < 2; v++)
            Assert.Equal(one[k].Views[v].Normalized, three[k].Views[v].Normalized);
    }

    [Theory]
    [InlineData("auto", "cpu", true)]
    [InlineData("loader", "cpu", true)]
    [InlineData("device", "cpu", false)]
    public void StageResolvesForTheDevice(string stage, string device, bool inLoader)
    {
        var cfg = new AugmentConfig { Stage = stage };
        Assert.Equal(inLoader, PhotometricStage.InLoader(cfg, new Device(device)));
        Assert.Equal(inLoader, PhotometricStage.ForLoader(cfg, new Device(device)) != null);
    }
}
