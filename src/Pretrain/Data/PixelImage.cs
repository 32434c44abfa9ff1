namespace Pretrain.Data;

/// <summary>A decoded image, HWC uint8, RGB (Channels 3) or RGBX (Channels 4, the 4th byte ignored:
/// Skia decodes to 4 bytes per pixel and the resampler works on 4 lanes anyway, so no repacking).</summary>
public sealed class PixelImage
{
    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }
    public byte[] Pixels { get; }

    public PixelImage(int width, int height, int channels, byte[] pixels)
    {
        if (channels is not (3 or 4)) throw new ArgumentOutOfRangeException(nameof(channels), "3 (RGB) or 4 (RGBX)");
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"bad image size {width}x{height}");
        if (pixels.Length < (long)width * height * channels) throw new ArgumentException("pixel buffer too small", nameof(pixels));
        (Width, Height, Channels, Pixels) = (width, height, channels, pixels);
    }

    /// <summary>RGB of pixel (x, y).</summary>
    public (byte R, byte G, byte B) At(int x, int y)
    {
        int o = (y * Width + x) * Channels;
        return (Pixels[o], Pixels[o + 1], Pixels[o + 2]);
    }
}
