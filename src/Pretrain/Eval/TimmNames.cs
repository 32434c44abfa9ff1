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

    /// <summary>The timm model these weights load into unchanged, or null when there is none.</summary>
    public static string? TimmModel(Backbone backbone, int imageSize) => backbone switch
    {
        VisionTransformer { Settings: { PatchSize: 16, EmbedDim: 192, Depth: 12 } } when imageSize == 224 => "vit_tiny_patch16_224",
        VisionTransformer { Settings: { PatchSize: 16, EmbedDim: 384, Depth: 12 } } when imageSize == 224 => "vit_small_patch16_224",
        VisionTransformer { Settings: { PatchSize: 16, EmbedDim: 768, Depth: 12 } } when imageSize == 224 => "vit_base_patch16_224",
        ResNet { Settings: { CifarStem: false, Block: BlockKind.Basic, Layers: [2, 2, 2, 2], Widths: [64, 128, 256, 512] } } => "resnet18",
        ResNet { Settings: { CifarStem: false, Block: BlockKind.Bottleneck, Layers: [3, 4, 6, 3], Widths: [64, 128, 256, 512] } } => "resnet50",
        _ => null,
    };
}
