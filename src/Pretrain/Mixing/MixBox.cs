using Pretrain.Common;
using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// A half-open pixel box: rows [Top, Bottom), columns [Left, Right) — the golden files'
/// (yl, yh, xl, xh). A box with Bottom &lt;= Top or Right &lt;= Left is empty (nothing is pasted).
/// </summary>
public readonly record struct MixBox(int Top, int Bottom, int Left, int Right)
{
    public int Height => Math.Max(0, Bottom - Top);
    public int Width => Math.Max(0, Right - Left);
    public int Area => Height * Width;

    /// <summary>λ of a pasted box: the share of the image still showing the sample itself.</summary>
    public float LambdaIn(int height, int width) => (float)(1.0 - (double)Area / ((double)height * width));

    /// <summary>[n, 4] int64 (top, bottom, left, right): one host-to-device copy per batch.</summary>
    public static Tensor ToTensor(IReadOnlyList<MixBox> boxes, Device device)
    {
        var flat = new long[boxes.Count * 4];
        for (int i = 0; i < boxes.Count; i++)
        {
            flat[4 * i] = boxes[i].Top;
            flat[4 * i + 1] = boxes[i].Bottom;
            flat[4 * i + 2] = boxes[i].Left;
            flat[4 * i + 3] = boxes[i].Right;
        }
        return HostToDevice.From(flat, [boxes.Count, 4], device);
    }

    /// <summary>Per-sample λ of the boxes as a float32 [n] tensor.</summary>
    public static Tensor LambdaTensor(IReadOnlyList<MixBox> boxes, int height, int width, Device device) =>
        HostToDevice.From(boxes.Select(b => b.LambdaIn(height, width)).ToArray(), [boxes.Count], device);
}
