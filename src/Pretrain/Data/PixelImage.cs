namespace Pretrain.Data;

/// <summary>A decoded image, HWC uint8, RGB (Channels 3) or RGBX (Channels 4, the 4th byte ignored:
/// Skia decodes to 4 bytes per pixel and the resampler works on 4 lanes anyway, so no repacking).
/// It may hold only a region of the decoded image: its pixel (0, 0) is pixel (OriginX, OriginY) of a
/// FullWidth × FullHeight picture (the decoded size, which DCT scaling may have made smaller than the
/// stored size).</summary>
public sealed class PixelImage
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public byte[] Pixels { get; }
    public int OriginX { get; }
    public int OriginY { get; }
    public int FullWidth { get; }
    public int FullHeight { get; }

    public PixelImage(int width, int height, int channels, byte[] pixels)
        : this(width, height, channels, pixels, new PixelRegion(0, 0, width, height), width, height) { }

    /// <summary>The <paramref name="region"/> of a fullWidth × fullHeight image; pixels hold region.Width × region.Height.</summary>
    public PixelImage(int width, int height, int channels, byte[] pixels, PixelRegion region, int fullWidth, int fullHeight)
    {
        if (channels is not (3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), "3 (RGB) or 4 (RGBX)");
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"bad image size {width}x{height}");
        if (pixels.Length < (long)width * height * channels) throw new ArgumentException("pixel buffer too small", nameof(pixels));
        if (region.Width != width || region.Height != height || region.X0 < 0 || region.Y0 < 0 || region.X1 > fullWidth || region.Y1 > fullHeight)
            throw new ArgumentException($"region {region} does not fit {width}x{height} pixels of a {fullWidth}x{fullHeight} image", nameof(region));
        (Width, Height, Channels, Pixels) = (width, height, channels, pixels);
        (OriginX, OriginY, FullWidth, FullHeight) = (region.X0, region.Y0, fullWidth, fullHeight);
    }

    public bool IsRegion => Width != FullWidth || Height != FullHeight;

    /// <summary>RGB of pixel (x, y) of the held pixels.</summary>
    public (byte R, byte G, byte B) At(int x, int y)
    {
        int o = (y * Width + x) * Channels;
        return (Pixels[o], Pixels[o + 1], Pixels[o + 2]);
    }
}
