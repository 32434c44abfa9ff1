using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>The source rectangle that maps onto the whole output (fractional, as PIL's resize box), and
/// the pixel range the filter taps may read: the crop itself for a random resized crop (torchvision
/// crops, then resizes), the whole image for the eval resize-then-centre-crop.</summary>
public readonly record struct ResampleBox(double X, double Y, double Width, double Height,
    int ReadX0, int ReadY0, int ReadX1, int ReadY1)
{
    public static ResampleBox OfCrop(CropBox c) =>
        new(c.X, c.Y, c.Width, c.Height, c.X, c.Y, c.X + c.Width, c.Y + c.Height);

    /// <summary>The same region in an image decoded at a reduced size.</summary>
    public ResampleBox Scaled(double sx, double sy, int scaledWidth, int scaledHeight) => new(
        X * sx, Y * sy, Width * sx, Height * sy,
        Math.Max(0, (int)Math.Floor(ReadX0 * sx)), Math.Max(0, (int)Math.Floor(ReadY0 * sy)),
        Math.Min(scaledWidth, (int)Math.Ceiling(ReadX1 * sx)), Math.Min(scaledHeight, (int)Math.Ceiling(ReadY1 * sy)));

    /// <summary>The pixels a resample of this box to outW × outH can give a nonzero weight (the box widened
    /// by the filter's support, one pixel spare each side), inside the read range. Smaller than the read
    /// range for the eval transform, whose resize may read the whole image but weighs only the crop's
    /// neighbourhood.</summary>
    public PixelRegion Footprint(int outW, int outH, ResampleFilter filter)
    {
        double reachX = ResampleFilters.Support(filter) * Math.Max(Width / outW, 1.0) + 1;
        double reachY = ResampleFilters.Support(filter) * Math.Max(Height / outH, 1.0) + 1;
        return new PixelRegion(
            Math.Max(ReadX0, (int)Math.Floor(X - reachX)), Math.Max(ReadY0, (int)Math.Floor(Y - reachY)),
            Math.Min(ReadX1, (int)Math.Ceiling(X + Width + reachX)), Math.Min(ReadY1, (int)Math.Ceiling(Y + Height + reachY)));
    }

    /// <summary>torchvision eval transform as one resample: Resize(shorter side → resize) then
    /// CenterCrop(crop), expressed as the region of the original image the crop covers.</summary>
    public static ResampleBox EvalCenter(int width, int height, int resize, int crop)
    {
        int newW, newH;
        if (width <= height) { newW = resize; newH = (int)((long)resize * height / width); }
        else { newH = resize; newW = (int)((long)resize * width / height); }
        if (crop > newW || crop > newH)
            throw new ArgumentException($"eval resize {resize} is smaller than the crop {crop}");
        int ox = (int)Math.Round((newW - crop) / 2.0, MidpointRounding.ToEven);
        int oy = (int)Math.Round((newH - crop) / 2.0, MidpointRounding.ToEven);
        double sx = (double)width / newW, sy = (double)height / newH;
        return new ResampleBox(ox * sx, oy * sy, crop * sx, crop * sy, 0, 0, width, height);
    }
}
