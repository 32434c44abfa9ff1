using Pretrain.Common;
using Pretrain.Data;

namespace Pretrain.Mixing;

/// <summary>
/// CutMix box (first official SDMP release's rand_bbox): nominal side int(size·sqrt(1-λ)), centre
/// uniform over the whole image, box [c - side//2, c + side//2) clipped to the image; λ is then
/// recomputed from the clipped box (<see cref="MixBox.LambdaIn"/>). λ = 1 gives an empty box,
/// λ = 0 a box that covers the image only when the centre is the middle.
/// </summary>
public static class CutMixGeometry
{
    public static MixBox Place(int height, int width, float lambda, int centreY, int centreX)
    {
        if (centreY < 0 || centreY >= height || centreX < 0 || centreX >= width)
            throw new ArgumentOutOfRangeException(nameof(centreY), $"centre ({centreY},{centreX}) outside {height}x{width}");
        int halfH = BoxSide.For(height, lambda) / 2, halfW = BoxSide.For(width, lambda) / 2;
        return new MixBox(
            Math.Clamp(centreY - halfH, 0, height), Math.Clamp(centreY + halfH, 0, height),
            Math.Clamp(centreX - halfW, 0, width), Math.Clamp(centreX + halfW, 0, width));
    }

    /// <summary>Draws the centre uniformly over the image (row first, then column).</summary>
    public static MixBox Draw(int height, int width, float lambda, ref KeyedRandom rng)
    {
        int cy = rng.NextInt(height);
        int cx = rng.NextInt(width);
        return Place(height, width, lambda, cy, cx);
    }
}
