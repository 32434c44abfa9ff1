using Pretrain.Config;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>Builds the backbone a <see cref="ModelConfig"/> names.</summary>
public static class BackboneFactory
{
    /// <param name="imageSize">Training resolution of the (global) views; fixes the ViT's position grid.</param>
    /// <param name="dropPath">Overrides model.drop_path (DINO's teacher uses 0).</param>
    /// <param name="device">Where the initialised model is moved; initialisation always runs on the CPU
    /// so the same seed gives the same weights on every device.</param>
    public static Backbone Create(ModelConfig cfg, int imageSize, double? dropPath = null, Device? device = null)
    {
        var arch = cfg.ArchKind;
        Backbone model = arch switch
        {
            ArchKind.VitTiny or ArchKind.VitSmall or ArchKind.VitBase or ArchKind.Vit => new VisionTransformer(VitFrom(cfg, arch, imageSize, dropPath ?? cfg.DropPath)),
            ArchKind.Resnet18 => new ResNet(ResNetSettings.ResNet18(cfg.CifarStem, cfg.ZeroInitResidual) with { ChannelsLast = cfg.ChannelsLast }),
            ArchKind.Resnet50 => new ResNet(ResNetSettings.ResNet50(cfg.CifarStem, cfg.ZeroInitResidual) with { ChannelsLast = cfg.ChannelsLast }),
            ArchKind.Resnet => new ResNet(FreeResNet(cfg)),
            _ => throw new ArgumentOutOfRangeException(nameof(cfg), arch, "unhandled model.arch"),
        };
        if (device is not null) model.to(device);
        return model;
    }

    private static VitSettings VitFrom(ModelConfig cfg, ArchKind arch, int imageSize, double dropPath)
    {
        (int dim, int depth, int heads) = arch switch
        {
            ArchKind.VitTiny => (192, 12, 3),
            ArchKind.VitSmall => (384, 12, 12), // MoCo v3 uses 12 heads for ViT-S (DINO/timm: 6)
            ArchKind.VitBase => (768, 12, 12),
            _ => (0, 0, 0),
        };
        if (cfg.EmbedDim > 0) dim = cfg.EmbedDim;
        if (cfg.Depth > 0) depth = cfg.Depth;
        if (cfg.NumHeads > 0) heads = cfg.NumHeads;
        if (dim <= 0 || depth <= 0 || heads <= 0)
            throw new ArgumentException("model.arch 'vit' needs model.embed_dim, model.depth and model.num_heads > 0");
        var pos = cfg.PosEmbedKind;
        return new VitSettings(imageSize, cfg.PatchSize, dim, depth, heads, cfg.MlpRatio, cfg.QkvBias,
                               dropPath, pos, cfg.StopGradPatchEmbed);
    }

    private static ResNetSettings FreeResNet(ModelConfig cfg)
    {
        var block = cfg.BlockKind;
        if (cfg.Layers.Length == 0)
            throw new ArgumentException("model.arch 'resnet' needs model.layers and model.widths");
        return new ResNetSettings(block, cfg.Layers, cfg.Widths, cfg.CifarStem, cfg.ZeroInitResidual, cfg.ChannelsLast);
    }
}
