using Pretrain.Config;
using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class BackboneFactoryTests
{
    [Theory]
    [InlineData("vit_tiny", 192, 12, 3)]
    [InlineData("vit_small", 384, 12, 12)]
    [InlineData("vit_base", 768, 12, 12)]
    public void VitPresetsHaveTheirSizes(string arch, int dim, int depth, int heads)
    {
        var vit = Assert.IsType<VisionTransformer>(BackboneFactory.Create(new ModelConfig { Arch = arch, PatchSize = 16 }, 32));
        Assert.Equal((dim, depth, heads), (vit.Settings.EmbedDim, vit.Settings.Depth, vit.Settings.NumHeads));
        Assert.Equal(dim, vit.FeatureDim);
    }

    [Fact]
    public void ExplicitSizesOverrideThePresetAndDropPathCanBeOverridden()
    {
        var cfg = new ModelConfig { Arch = "vit_tiny", PatchSize = 4, Depth = 2, DropPath = 0.1, PosEmbed = "learned", StopGradPatchEmbed = false };
        var vit = Assert.IsType<VisionTransformer>(BackboneFactory.Create(cfg, 32));
        Assert.Equal((192, 2, 3), (vit.Settings.EmbedDim, vit.Settings.Depth, vit.Settings.NumHeads));
        Assert.Equal(PositionEmbeddingKind.Learned, vit.Settings.PosEmbed);
        Assert.Equal(0.1, vit.modules().OfType<DropPath>().Last().Rate, 12);
        var teacher = Assert.IsType<VisionTransformer>(BackboneFactory.Create(cfg, 32, dropPath: 0.0));
        Assert.All(teacher.modules().OfType<DropPath>(), d => Assert.Equal(0.0, d.Rate));
        Assert.Equal(new long[] { 2, 192 }, vit.forward(randn(2, 3, 32, 32)).shape);
    }

    [Fact]
    public void FreeVitNeedsAllSizes()
    {
        Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new ModelConfig { Arch = "vit", EmbedDim = 64, Depth = 2 }, 32));
        var vit = BackboneFactory.Create(new ModelConfig { Arch = "vit", PatchSize = 8, EmbedDim = 64, Depth = 2, NumHeads = 4 }, 32);
        Assert.Equal(64, vit.FeatureDim);
    }

    [Fact]
    public void ResNetArchesBuild()
    {
        Assert.Equal(512, BackboneFactory.Create(new ModelConfig { Arch = "resnet18", CifarStem = true }, 32).FeatureDim);
        var free = BackboneFactory.Create(new ModelConfig { Arch = "resnet", Block = "bottleneck", Layers = [1, 1], Widths = [8, 16], CifarStem = true }, 32);
        Assert.Equal(64, free.FeatureDim);
        var tokens = free.LastBlockTokens(randn(2, 3, 16, 16), 4);
        Assert.Single(tokens.Cls);
        Assert.Null(tokens.PatchMean);
        Assert.Equal(new long[] { 2, 64 }, tokens.Cls[0].shape);
    }

    [Fact]
    public void InvalidConfigurationsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new ModelConfig { Arch = "vgg" }, 32));
        Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new ModelConfig { Arch = "resnet", Layers = [1, 1], Widths = [8] }, 32));
        Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new ModelConfig { Arch = "vit_tiny", PatchSize = 5 }, 32));
        Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new ModelConfig { Arch = "vit_tiny", PatchSize = 4, PosEmbed = "rope" }, 32));
        Assert.Throws<ArgumentException>(() => BackboneFactory.Create(new ModelConfig { Arch = "vit", PatchSize = 4, EmbedDim = 30, Depth = 1, NumHeads = 3 }, 32));
    }
}
