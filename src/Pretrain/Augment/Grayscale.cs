using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// ITU-R 601-2 luma as torchvision's rgb_to_grayscale (0.299 R + 0.587 G + 0.114 B), on [N,3,H,W]
/// batches in [0,1].
/// </summary>
public static class Grayscale
{
    public const double WeightR = 0.299, WeightG = 0.587, WeightB = 0.114;

    /// <summary>[N,3,H,W] → [N,1,H,W] luma.</summary>
    public static Tensor Luma(Tensor x)
    {
        CheckRgb(x);
        // Scaled channel sums instead of a weighted reduction: three single-channel passes, and the
        // weights stay exactly torchvision's (no matmul rounding order).
        var l = x.narrow(1, 0, 1).mul(WeightR);
        l.add_(x.narrow(1, 1, 1), WeightG);
        l.add_(x.narrow(1, 2, 1), WeightB);
        return l;
    }

    /// <summary>Luma replicated to 3 channels (torchvision Grayscale(num_output_channels=3)).</summary>
    public static Tensor Apply(Tensor x) => Luma(x).expand(x.shape[0], 3, x.shape[2], x.shape[3]).contiguous();

    internal static void CheckRgb(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != 3)
            throw new ArgumentException($"expected an [N,3,H,W] batch, got [{string.Join(",", x.shape)}]");
    }
}
