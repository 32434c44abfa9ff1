using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// ResizeMix with the reversed batch: the whole partner image, bilinearly resized to sample i's box,
/// is pasted into it. One grid_sample over the batch with a per-sample affine grid reproduces
/// F.interpolate(bilinear, align_corners=False) of each partner to its box size: inside a box of
/// height h starting at row t, output row y reads source row (y - t + 0.5)·H/h - 0.5, which is
/// grid coordinate (2(y - t) + 1)/h - 1; border padding reproduces interpolate's edge clamping.
/// </summary>
public static class ResizeMix
{
    /// <param name="x">[n, C, H, W] floating point.</param>
    /// <param name="boxes">one box per sample (empty boxes leave the sample unchanged).</param>
    public static Tensor Apply(Tensor x, IReadOnlyList<MixBox> boxes)
    {
        MixInput.Validate(x, boxes);
        long n = x.shape[0], h = x.shape[2], w = x.shape[3];
        var boxTensor = MixBox.ToTensor(boxes, x.device);
        var mask = BoxMask.Build(boxTensor, h, w);

        // Sampling runs in the image dtype; empty boxes get extent 1 only to keep the grid finite.
        var edges = boxTensor.to(x.dtype);
        var top = edges[.., 0].view(n, 1, 1);
        var left = edges[.., 2].view(n, 1, 1);
        var boxH = (edges[.., 1] - edges[.., 0]).clamp_min(1).view(n, 1, 1);
        var boxW = (edges[.., 3] - edges[.., 2]).clamp_min(1).view(n, 1, 1);
        var rows = arange(h, x.dtype, x.device).view(1, h, 1);
        var cols = arange(w, x.dtype, x.device).view(1, 1, w);
        var gridY = ((rows - top) * 2 + 1) / boxH - 1;
        var gridX = ((cols - left) * 2 + 1) / boxW - 1;
        var grid = stack([gridX.expand(n, h, w), gridY.expand(n, h, w)], dim: -1);

        var pasted = nn.functional.grid_sample(Partner.Rows(x), grid,
            mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Border, align_corners: false);
        return where(mask, pasted, x);
    }
}
