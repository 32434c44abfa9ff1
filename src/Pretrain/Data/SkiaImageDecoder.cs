using SkiaSharp;

namespace Pretrain.Data;

/// <summary>JPEG, PNG, BMP, WebP (and whatever else Skia reads) into RGBX bytes. JPEGs are decoded
/// DCT-scaled (1/2, 1/4, 1/8) when the request's minimum size allows it, and only the requested region
/// when one is given: columns outside it skip the inverse DCT and colour conversion, rows above it skip
/// them too, rows below it are not read at all. The stored size is checked against
/// <see cref="MaxPixels"/> from the header, before any pixel memory is allocated (a 300 KB PNG may
/// claim 100,000 × 100,000 pixels). Stateless and thread-safe.</summary>
public sealed class SkiaImageDecoder(long maxPixels = SkiaImageDecoder.DefaultMaxPixels) : IImageDecoder
{
    /// <summary>PIL's Image.MAX_IMAGE_PIXELS (1024 × 1024 × 1024 / 4 / 3): the data.max_image_pixels default.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    /// <summary>The most pixels (width × height, as stored) an image may have; 0 = no limit. The
    /// 2 GB array limit still applies to the decoded RGBX buffer either way.</summary>
    public long MaxPixels { get; } = maxPixels >= 0 ? maxPixels : throw new ArgumentOutOfRangeException(nameof(maxPixels), "must be >= 0");

    private static readonly float[] Scales = [0.125f, 0.25f, 0.5f];

    /// <summary>Margin around a region, and the alignment of its top-left corner, that make region
    /// pixels identical to a full decode's: libjpeg-turbo crops on iMCU columns (up to 16 px) and
    /// upsamples chroma (up to 2×) from neighbours one chroma sample away.</summary>
    private const int RegionMargin = 2, RegionAlign = 16;

    public (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = OpenCodec(data);
        return (codec.Info.Width, codec.Info.Height);
    }

    public PixelImage Decode(ReadOnlySpan<byte> encoded, DecodePlanner? planner = null)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = OpenCodec(data);
        int w = codec.Info.Width, h = codec.Info.Height;
        CheckSize(w, h, MaxPixels);
        if (planner == null) return DecodeWhole(codec, w, h) ?? throw new InvalidDataException("decode failed");
        var request = planner(w, h);
        var (dw, dh) = (w, h);
        foreach (var s in Scales)
        {
            var d = codec.GetScaledDimensions(s);
            if (d.Width >= request.MinWidth && d.Height >= request.MinHeight && d.Width < w)
            {
                (dw, dh) = (d.Width, d.Height);
                break;
            }
        }
        if (request.Region is { } r && codec.EncodedFormat == SKEncodedImageFormat.Jpeg && EndsWithEoi(encoded)
            && DecodeRegion(codec, dw, dh, ScaledRegion(r, w, h, dw, dh)) is { } region)
            return region;
        if ((dw, dh) != (w, h) && DecodeWhole(codec, dw, dh) is { } scaled) return scaled;
        return DecodeWhole(codec, w, h) ?? throw new InvalidDataException("decode failed");
    }

    /// <summary>Whether Skia has a codec for these bytes (no pixels decoded).</summary>
    public static bool CanOpen(ReadOnlySpan<byte> encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        try
        {
            using var codec = SKCodec.Create(data);
            return codec != null;
        }
        catch (Exception) { return false; }
    }

    private static SKCodec OpenCodec(SKData data)
    {
        SKCodec? codec;
        try { codec = SKCodec.Create(data); }
        catch (Exception e) { throw new InvalidDataException($"not a decodable image ({e.Message})", e); }
        return codec ?? throw new InvalidDataException("not a decodable image");
    }

    /// <summary>Throws <see cref="InvalidDataException"/> (an unreadable sample) for a header size that
    /// is empty, over <paramref name="maxPixels"/> (0 = no limit), or whose RGBX buffer would not fit an array.</summary>
    public static void CheckSize(int w, int h, long maxPixels)
    {
        if (w <= 0 || h <= 0) throw new InvalidDataException($"image has size {w}x{h}");
        long pixels = (long)w * h; // both < 2^31: exact in 64 bits
        if (maxPixels > 0 && pixels > maxPixels)
            throw TooLarge(w, h, $"data.max_image_pixels {maxPixels}");
        if (pixels > Array.MaxLength / 4)
            throw TooLarge(w, h, $"{Array.MaxLength / 4}, the most one decode buffer holds");
    }

    private static InvalidDataException TooLarge(int w, int h, string limit) =>
        new($"image header claims {w}x{h} = {(long)w * h} pixels, over the limit of {limit}");

    /// <summary>The stored-size region on the decoded grid, widened by the margin, corner aligned.</summary>
    internal static PixelRegion ScaledRegion(PixelRegion r, int w, int h, int dw, int dh)
    {
        double sx = (double)dw / w, sy = (double)dh / h;
        int x0 = (int)Math.Floor(r.X0 * sx) - RegionMargin, y0 = (int)Math.Floor(r.Y0 * sy) - RegionMargin;
        int x1 = (int)Math.Ceiling(r.X1 * sx) + RegionMargin, y1 = (int)Math.Ceiling(r.Y1 * sy) + RegionMargin;
        x0 = Math.Max(0, x0 / RegionAlign * RegionAlign);
        y0 = Math.Max(0, y0 / RegionAlign * RegionAlign);
        return new PixelRegion(x0, y0, Math.Min(dw, Math.Max(x1, x0 + 1)), Math.Min(dh, Math.Max(y1, y0 + 1)));
    }

    /// <summary>A truncated JPEG can still decode a region above the damage; requiring the end-of-image
    /// marker keeps such files failing as they do in a full decode (on_error counts them).</summary>
    private static bool EndsWithEoi(ReadOnlySpan<byte> encoded)
    {
        var tail = encoded.TrimEnd((byte)0);
        return tail.Length >= 2 && tail[^2] == 0xFF && tail[^1] == 0xD9;
    }

    /// <summary>Scanline decode of one region; null when Skia cannot (the caller decodes the whole image).</summary>
    private static PixelImage? DecodeRegion(SKCodec codec, int dw, int dh, PixelRegion r)
    {
        if (r.Width * (long)r.Height * 10 >= dw * (long)dh * 9) return null; // not worth a second path
        var info = new SKImageInfo(dw, dh, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var options = new SKCodecOptions { Subset = new SKRectI(r.X0, 0, r.X1, dh) };
        if (codec.StartScanlineDecode(info, options) != SKCodecResult.Success
            || codec.ScanlineOrder != SKCodecScanlineOrder.TopDown) return null;
        if (r.Y0 > 0 && !codec.SkipScanlines(r.Y0)) return null;
        var pixels = GC.AllocateUninitializedArray<byte>(checked(r.Width * r.Height * 4)); // every byte is written below
        int rows;
        unsafe
        {
            fixed (byte* p = pixels) rows = codec.GetScanlines((IntPtr)p, r.Height, r.Width * 4);
        }
        if (rows != r.Height) throw new InvalidDataException($"decode failed: {rows} of {r.Height} rows");
        return new PixelImage(r.Width, r.Height, 4, pixels, r, dw, dh);
    }

    private static PixelImage? DecodeWhole(SKCodec codec, int w, int h)
    {
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = GC.AllocateUninitializedArray<byte>(checked(w * h * 4)); // CheckSize bounds it; checked all the same
        SKCodecResult result;
        unsafe
        {
            fixed (byte* p = pixels) result = codec.GetPixels(info, (IntPtr)p);
        }
        return result switch
        {
            SKCodecResult.Success => new PixelImage(w, h, 4, pixels),
            SKCodecResult.InvalidScale => null,
            // A truncated file would otherwise train on a half-grey image without anyone noticing.
            _ => throw new InvalidDataException($"decode failed: {result}"),
        };
    }
}
