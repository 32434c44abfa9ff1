using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>ViT position embeddings: the fixed 2-D sin-cos table of MoCo v3 and DINO's resizing of a learned one.</summary>
public static class PositionEmbedding
{
    /// <summary>
    /// MoCo v3 <c>build_2d_sincos_position_embedding</c> for a grid of <paramref name="gridH"/>×<paramref name="gridW"/>
    /// patches: [1, 1 + gridH·gridW, dim], the CLS row zero. Computed in float32 like the original,
    /// including its meshgrid order (token m gets "w" coordinate m / gridH and "h" coordinate m % gridH).
    /// </summary>
    public static Tensor SinCos2d(int gridH, int gridW, int dim, double temperature = 10000.0, Device? device = null)
    {
        if (dim % 4 != 0) throw new ArgumentException($"sin-cos position embedding needs embed dim divisible by 4, got {dim}");
        if (gridH <= 0 || gridW <= 0) throw new ArgumentException($"empty patch grid {gridH}x{gridW}");
        using var scope = NewDisposeScope();
        var gridAxes = meshgrid([arange(gridW, dtype: ScalarType.Float32, device: device),
                                 arange(gridH, dtype: ScalarType.Float32, device: device)], indexing: "ij");
        int posDim = dim / 4;
        var omega = arange(posDim, dtype: ScalarType.Float32, device: device).div(posDim);
        omega = pow(full(1, temperature, dtype: ScalarType.Float32, device: device), omega).reciprocal();
        var outW = outer(gridAxes[0].flatten(), omega);
        var outH = outer(gridAxes[1].flatten(), omega);
        var patches = cat([outW.sin(), outW.cos(), outH.sin(), outH.cos()], 1);
        var clsRow = zeros(1, dim, dtype: ScalarType.Float32, device: device);
        return cat([clsRow, patches], 0).unsqueeze(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DINO <c>interpolate_pos_encoding</c>: a learned [1, 1 + G², D] table (G×G training grid) resized
    /// bicubically to a gridH×gridW grid; the CLS entry is kept. The same scale factors as DINO
    /// ((grid + 0.1) / G) are passed so the sampling positions match it.
    /// </summary>
    public static Tensor InterpolateLearned(Tensor posEmbed, int gridH, int gridW)
    {
        long tokens = posEmbed.shape[1] - 1, dim = posEmbed.shape[2];
        int side = (int)Math.Round(Math.Sqrt(tokens));
        if ((long)side * side != tokens) throw new ArgumentException($"learned position table of {tokens} patches is not a square grid");
        if (gridH == side && gridW == side) return posEmbed.alias();
        using var scope = NewDisposeScope();
        var cls = posEmbed.narrow(1, 0, 1);
        var grid = posEmbed.narrow(1, 1, tokens).reshape(1, side, side, dim).permute(0, 3, 1, 2);
        var resized = nn.functional.interpolate(grid,
            scale_factor: [(gridH + 0.1) / side, (gridW + 0.1) / side], mode: InterpolationMode.Bicubic, align_corners: false);
        if (resized.shape[2] != gridH || resized.shape[3] != gridW)
            throw new InvalidOperationException($"position interpolation produced {resized.shape[2]}x{resized.shape[3]}, expected {gridH}x{gridW}");
        var patches = resized.permute(0, 2, 3, 1).reshape(1, (long)gridH * gridW, dim);
        return cat([cls, patches], 1).MoveToOuterDisposeScope();
    }
}
