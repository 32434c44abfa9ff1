using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// Backbone + DINO head with DINO's multi-crop forward: the backbone runs once per resolution group
/// (consecutive crops of equal size), the head once on the concatenation of all features.
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

    /// <summary>Crops in order; returns head outputs crop-major ([crops·B, out]).</summary>
    public Tensor Forward(IReadOnlyList<Tensor> crops)
    {
        var features = new List<Tensor>();
        int start = 0;
        while (start < crops.Count)
        {
            int end = start + 1;
            while (end < crops.Count && SameSize(crops[end], crops[start])) end++;
            var group = end - start == 1 ? crops[start] : cat(crops.Skip(start).Take(end - start).ToArray());
            using (ChunkedBatchNorm.Scope(backbone, end - start))
                features.Add(backbone.call(group));
            start = end;
        }
        return head.call(features.Count == 1 ? features[0] : cat(features));
    }

    private static bool SameSize(Tensor a, Tensor b) => a.shape[2] == b.shape[2] && a.shape[3] == b.shape[3];
}
