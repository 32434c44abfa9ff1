using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>data.decoder auto: Skia (fast: DCT-scaled, region decodes) for what it reads, ImageSharp for
/// TIFF and PBM/PGM/PPM, chosen by the first bytes; a file with no recognised signature (TGA has none)
/// goes to Skia when Skia's codec accepts it and to ImageSharp otherwise. Both check the pixel limit
/// from the header, and everything after the decode (crops, resampling) is the same path.</summary>
public sealed class AutoImageDecoder(SkiaImageDecoder skia, ImageSharpDecoder imageSharp) : IImageDecoder
{
    public AutoImageDecoder(long maxPixels) : this(new SkiaImageDecoder(maxPixels), new ImageSharpDecoder(maxPixels)) { }

    public (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded) => Pick(encoded).ReadSize(encoded);

    public PixelImage Decode(ReadOnlySpan<byte> encoded, DecodePlanner? planner = null) => Pick(encoded).Decode(encoded, planner);

    /// <summary>The decoder that gets these bytes.</summary>
    public IImageDecoder Pick(ReadOnlySpan<byte> encoded) => ImageFormats.Sniff(encoded) switch
    {
        EncodedFormat.Tiff or EncodedFormat.Pnm => imageSharp,
        EncodedFormat.Unknown => SkiaImageDecoder.CanOpen(encoded) ? skia : imageSharp,
        _ => skia,
    };

    /// <summary>The decoder data.decoder names, with data.max_image_pixels.</summary>
    public static IImageDecoder For(ImageDecoderKind kind, long maxPixels) => kind switch
    {
        ImageDecoderKind.Skia => new SkiaImageDecoder(maxPixels),
        ImageDecoderKind.ImageSharp => new ImageSharpDecoder(maxPixels),
        ImageDecoderKind.Auto => new AutoImageDecoder(maxPixels),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unhandled data.decoder"),
    };
}
