using Pretrain.Distributed;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// Backbone + DINO head with DINO's multi-crop forward (MultiCropWrapper): the backbone runs once per
/// resolution group (consecutive crops of equal size, concatenated), the head once on the concatenation
/// of all features. As in DINO, a BatchNorm sees the whole group in one call (ResNet backbones, BN heads).
/// </summary>
public sealed class DinoNetwork : nn.Module<Tensor, Tensor>
{
    public readonly Backbone backbone;
    public readonly DinoHead head;

    public DinoNetwork(Backbone backbone, DinoHead head) : base(nameof(DinoNetwork))
    {
        this.backbone = backbone;
        this.head = head;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.call(backbone.call(x));

    /// <summary>Crops in order, each [B, C, H, W]; returns head outputs crop-major ([crops·B, out]), in fp32
    /// whatever the compute precision (the losses and the center take them).</summary>
    /// <param name="dp">Data-parallel: BatchNorm statistics over every rank's group (one BatchNorm call per
    /// group, as DINO), drop-path masks drawn for the global batch of each crop.</param>
    public Tensor Forward(IReadOnlyList<Tensor> crops, DataParallel? dp = null)
    {
        if (crops.Count == 0) throw new ArgumentException("DINO forward needs at least one crop");
        var features = new List<Tensor>();
        foreach (var (start, count) in ResolutionGroups(crops))
        {
            var group = count == 1 ? crops[start] : cat(crops.Skip(start).Take(count).ToArray());
            using (BatchLayout.Scope(backbone, normChunks: 1, dp, sampleChunks: count))
                features.Add(backbone.call(group));
        }
        using (BatchLayout.Scope(head, normChunks: 1, dp))
            return ComputePrecision.Float32(head.call(features.Count == 1 ? features[0] : cat(features)));
    }

    /// <summary>Runs of consecutive crops with the same height and width, as (first index, count):
    /// DINO's unique_consecutive over the crops' last dimension.</summary>
    public static IReadOnlyList<(int Start, int Count)> ResolutionGroups(IReadOnlyList<Tensor> crops)
    {
        var groups = new List<(int, int)>();
        int start = 0;
        while (start < crops.Count)
        {
            int end = start + 1;
            while (end < crops.Count && SameSize(crops[end], crops[start])) end++;
            groups.Add((start, end - start));
            start = end;
        }
        return groups;
    }

    private static bool SameSize(Tensor a, Tensor b) => a.shape[^2] == b.shape[^2] && a.shape[^1] == b.shape[^1];
}
