using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>Per-sample box masks built by comparing broadcast row/column indices with the box edges,
/// so all n boxes are rasterised in one set of device ops.</summary>
public static class BoxMask
{
    /// <summary>Bool [n, 1, H, W]: true inside sample i's box.</summary>
    public static Tensor Build(Tensor boxes, long height, long width)
    {
        if (boxes.dim() != 2 || boxes.shape[1] != 4) throw new ArgumentException($"boxes must be [n,4], got [{string.Join(",", boxes.shape)}]");
        var n = boxes.shape[0];
        var b = boxes.to(ScalarType.Int64);
        var rows = arange(height, ScalarType.Int64, boxes.device).view(1, height, 1);
        var cols = arange(width, ScalarType.Int64, boxes.device).view(1, 1, width);
        var top = b[.., 0].view(n, 1, 1);
        var bottom = b[.., 1].view(n, 1, 1);
        var left = b[.., 2].view(n, 1, 1);
        var right = b[.., 3].view(n, 1, 1);
        var inRows = rows.ge(top).logical_and(rows.lt(bottom));
        var inCols = cols.ge(left).logical_and(cols.lt(right));
        return inRows.logical_and(inCols).unsqueeze(1);
    }
}
