using Pretrain.Common;
using Pretrain.Data;

namespace Pretrain.Mixing;

/// <summary>
/// ResizeMix box (latest official SDMP code): nominal side int(size·sqrt(1-λ')), centre drawn from
/// U_int[side//2, size - side//2) so the box is never clipped, box [c - side//2, c + side//2).
/// When that range is empty (side = size, even size) the centre is clamped to side//2, which makes
/// the box the whole image. λ = 1 - side_h·side_w/(H·W) from the nominal sides, not from the
/// pasted 2·(side//2) extent, as the official code does.
/// </summary>
public static class ResizeMixGeometry
{
    /// <summary>Half-open range [Lo, Hi) of valid centres; Hi &lt;= Lo means it collapsed to Lo.</summary>
    public static (int Lo, int Hi) CentreRange(int size, int side) => (side / 2, size - side / 2);

    public static int ClampCentre(int size, int side, int centre)
    {
        var (lo, hi) = CentreRange(size, side);
        return Math.Clamp(centre, lo, Math.Max(lo, hi - 1));
    }

    public static MixBox Place(int height, int width, float lambda, int centreY, int centreX)
    {
        int sideH = BoxSide.For(height, lambda), sideW = BoxSide.For(width, lambda);
        if (ClampCentre(height, sideH, centreY) != centreY || ClampCentre(width, sideW, centreX) != centreX)
            throw new ArgumentOutOfRangeException(nameof(centreY), $"centre ({centreY},{centreX}) outside the valid range for sides {sideH}x{sideW}");
        return new MixBox(centreY - sideH / 2, centreY + sideH / 2, centreX - sideW / 2, centreX + sideW / 2);
    }

    public static float Lambda(int height, int width, float lambda)
    {
        int sideH = BoxSide.For(height, lambda), sideW = BoxSide.For(width, lambda);
        return (float)(1.0 - (double)sideH * sideW / ((double)height * width));
    }

    /// <summary>Draws the centre (row first, then column) from the valid range.</summary>
    public static MixBox Draw(int height, int width, float lambda, ref KeyedRandom rng)
    {
        int cy = DrawCentre(height, BoxSide.For(height, lambda), ref rng);
        int cx = DrawCentre(width, BoxSide.For(width, lambda), ref rng);
        return Place(height, width, lambda, cy, cx);
    }

    private static int DrawCentre(int size, int side, ref KeyedRandom rng)
    {
        var (lo, hi) = CentreRange(size, side);
        return hi > lo ? rng.NextInt(lo, hi) : lo;
    }
}
