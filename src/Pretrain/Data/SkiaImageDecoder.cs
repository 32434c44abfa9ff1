using SkiaSharp;

namespace Pretrain.Data;

/// <summary>JPEG, PNG, BMP, WebP (and whatever else Skia reads) into RGBX bytes. JPEGs are decoded
/// DCT-scaled (1/2, 1/4, 1/8) when the caller's minimum size allows it, which is much cheaper than a
/// full decode followed by a downscale. Stateless and thread-safe.</summary>
public sealed class SkiaImageDecoder : IImageDecoder
{
    private static readonly float[] Scales = [0.125f, 0.25f, 0.5f];

    public (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("not a decodable image");
        return (codec.Info.Width, codec.Info.Height);
    }

    public PixelImage Decode(ReadOnlySpan<byte> encoded, MinimumDecodeSize? minimumSize = null)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("not a decodable image");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0) throw new InvalidDataException($"image has size {w}x{h}");
        if (minimumSize != null)
        {
            var (minW, minH) = minimumSize(w, h);
            foreach (var s in Scales)
            {
                var d = codec.GetScaledDimensions(s);
                if (d.Width >= minW && d.Height >= minH && d.Width < w)
                {
                    var scaled = TryDecode(codec, d.Width, d.Height);
                    if (scaled != null) return scaled;
                    break;
                }
            }
        }
        return TryDecode(codec, w, h) ?? throw new InvalidDataException("decode failed");
    }

    private static PixelImage? TryDecode(SKCodec codec, int w, int h)
    {
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[w * h * 4];
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
