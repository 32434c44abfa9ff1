using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>Shape checks shared by the mixing ops (they all take an image batch [n, C, H, W]).</summary>
internal static class MixInput
{
    public static void Validate(Tensor x)
    {
        if (x.dim() != 4) throw new ArgumentException($"mixing expects [n,C,H,W], got [{string.Join(",", x.shape)}]");
        if (x.shape[0] < 1) throw new ArgumentException("mixing needs a non-empty batch");
    }

    public static void Validate(Tensor x, IReadOnlyList<MixBox> boxes)
    {
        Validate(x);
        if (boxes.Count != x.shape[0]) throw new ArgumentException($"{boxes.Count} boxes for a batch of {x.shape[0]}");
        int h = (int)x.shape[2], w = (int)x.shape[3];
        foreach (var b in boxes)
            if (b.Area > 0 && (b.Top < 0 || b.Left < 0 || b.Bottom > h || b.Right > w))
                throw new ArgumentException($"box {b} lies outside the {h}x{w} image");
    }
}
