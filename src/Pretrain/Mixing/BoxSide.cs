namespace Pretrain.Mixing;

/// <summary>Nominal box side for a mixing ratio, as the official rand_bbox: int(size·sqrt(1-λ)),
/// so the box covers ≈ (1-λ) of the image.</summary>
public static class BoxSide
{
    public static int For(int size, float lambda)
    {
        if (!(lambda >= 0f && lambda <= 1f)) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "λ must lie in [0, 1]");
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size));
        return (int)(size * Math.Sqrt(1.0 - lambda));
    }
}
