using Pretrain.Config;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// Names of a backbone's tensors in timm's (and, for ResNet, torchvision's) state-dict convention. Our
/// modules already follow it except the ViT patch projection, which timm nests one level deeper
/// (`patch_embed.proj.*`). Every parameter and buffer is included, BatchNorm running statistics and the
/// fixed sin-cos `pos_embed` table too (timm keeps pos_embed as a parameter, so it must be present).
/// </summary>
public static class TimmNames
{
    public static string ToTimm(Backbone backbone, string name) =>
        backbone is VisionTransformer && name.StartsWith("patch_embed.", StringComparison.Ordinal)
            ? "patch_embed.proj." + name["patch_embed.".Length..]
            : name;

    /// <summary>timm name → the live tensor of the backbone (no copies).</summary>
    public static Dictionary<string, Tensor> Tensors(Backbone backbone)
    {
        var tensors = backbone.named_parameters().Select(p => (p.name, (Tensor)p.parameter))
            .Concat(backbone.named_buffers(include_nonpersistent: true))
            .ToDictionary(x => ToTimm(backbone, x.Item1), x => x.Item2);
        // A fixed sin-cos table is a non-persistent buffer, which the module enumeration leaves out.
        if (backbone is VisionTransformer vit) tensors.TryAdd("pos_embed", vit.PosEmbed);
        return tensors;
    }

    /// <summary>Copies tensors named the timm way into the backbone; every tensor of the backbone must be
    /// present with its shape (a fixed sin-cos table is checked against the one the backbone computes).</summary>
    public static void LoadInto(Backbone backbone, IReadOnlyDictionary<string, Tensor> source)
    {
        var targets = Tensors(backbone);
        var missing = targets.Keys.Where(k => !source.ContainsKey(k)).ToList();
        var badShape = targets.Where(t => source.TryGetValue(t.Key, out var s) && !s.shape.SequenceEqual(t.Value.shape)).Select(t => t.Key).ToList();
        if (missing.Count + badShape.Count > 0)
            throw new ArgumentException($"tensors do not match the backbone: missing [{string.Join(", ", missing)}], shape mismatch [{string.Join(", ", badShape)}]");
        using var noGrad = no_grad();
        foreach (var (name, target) in targets) target.copy_(source[name]);
    }

    /// <summary>
    /// The stock timm model (ViT) or torchvision model (ResNet) these weights load into unchanged, or null:
    /// only when every architectural field matches (for a ViT: image size, patch size, width, depth, heads,
    /// MLP ratio and qkv bias; timm's vit_small has 6 heads, so MoCo v3's 12-head ViT-S is not it).
    /// </summary>
    public static string? StockModel(Backbone backbone, int imageSize) => backbone switch
    {
        VisionTransformer v when imageSize == 224 && v.Settings is { PatchSize: 16, Depth: 12, MlpRatio: 4.0, QkvBias: true } s =>
            (s.EmbedDim, s.NumHeads) switch
            {
                (192, 3) => "vit_tiny_patch16_224",
                (384, 6) => "vit_small_patch16_224",
                (768, 12) => "vit_base_patch16_224",
                _ => null,
            },
        ResNet { Settings: { CifarStem: false, Widths: [64, 128, 256, 512] } r } => (r.Block, r.Layers) switch
        {
            (BlockKind.Basic, [2, 2, 2, 2]) => "resnet18",
            (BlockKind.Bottleneck, [3, 4, 6, 3]) => "resnet50",
            _ => null,
        },
        _ => null,
    };

    /// <summary>
    /// The Python expression that builds a model these weights load into with strict=True (classifier
    /// aside): the stock model when there is one, else the constructor with every architectural argument;
    /// null for a ResNet no torchvision constructor builds (the CIFAR stem, other widths).
    /// </summary>
    public static string? Constructor(Backbone backbone, int imageSize)
    {
        var stock = StockModel(backbone, imageSize);
        switch (backbone)
        {
            case VisionTransformer v:
                if (stock is not null) return $"timm.create_model(\"{stock}\", num_classes=0)";
                var s = v.Settings;
                return "timm.models.vision_transformer.VisionTransformer(" +
                       $"img_size={imageSize}, patch_size={s.PatchSize}, embed_dim={s.EmbedDim}, depth={s.Depth}, num_heads={s.NumHeads}, " +
                       $"mlp_ratio={s.MlpRatio.ToString(System.Globalization.CultureInfo.InvariantCulture)}, qkv_bias={(s.QkvBias ? "True" : "False")}, num_classes=0)";
            case ResNet r:
                if (stock is not null) return $"torchvision.models.{stock}()";
                if (r.Settings.CifarStem || !r.Settings.Widths.SequenceEqual([64, 128, 256, 512])) return null;
                var block = r.Settings.Block == BlockKind.Basic ? "BasicBlock" : "Bottleneck";
                return $"torchvision.models.resnet.ResNet(torchvision.models.resnet.{block}, [{string.Join(", ", r.Settings.Layers)}])";
            default:
                return null;
        }
    }
}
