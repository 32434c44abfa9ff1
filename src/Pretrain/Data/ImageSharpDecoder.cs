using System.Runtime.InteropServices;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;

namespace Pretrain.Data;

/// <summary>Everything ImageSharp 2.1 reads (TIFF 8/16-bit and multi-page: the first page; TGA;
/// PBM/PGM/PPM; and JPEG, PNG, GIF, BMP, WebP) into RGBX bytes. The stored size is read from the header
/// and checked against <see cref="MaxPixels"/> before any pixel memory is allocated, as in
/// <see cref="SkiaImageDecoder"/>. No reduced-scale decode: the planner's region is honoured (only its
/// rows and columns are copied out), its minimum size is not needed. Thread-safe.</summary>
public sealed class ImageSharpDecoder(long maxPixels = SkiaImageDecoder.DefaultMaxPixels) : IImageDecoder
{
    public long MaxPixels { get; } = maxPixels >= 0 ? maxPixels : throw new ArgumentOutOfRangeException(nameof(maxPixels), "must be >= 0");

    /// <summary>One thread per decode: the loader's workers are the parallelism (ImageSharp would
    /// otherwise spread some steps over every core from inside each worker).</summary>
    private static readonly Configuration SingleThreaded = CreateConfiguration();

    private static Configuration CreateConfiguration()
    {
        var c = Configuration.Default.Clone();
        c.MaxDegreeOfParallelism = 1;
        return c;
    }

    public (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded)
    {
        var info = Identify(encoded);
        return (info.Width, info.Height);
    }

    public PixelImage Decode(ReadOnlySpan<byte> encoded, DecodePlanner? planner = null)
    {
        var info = Identify(encoded);
        int w = info.Width, h = info.Height;
        SkiaImageDecoder.CheckSize(w, h, MaxPixels);
        var region = planner?.Invoke(w, h).Region;
        Image<Rgba32> image;
        try { image = Image.Load<Rgba32>(SingleThreaded, encoded); }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or IOException)
        {
            throw new InvalidDataException($"decode failed ({e.Message})", e);
        }
        using (image)
        {
            if (image.Width != w || image.Height != h)
                throw new InvalidDataException($"decode failed: header says {w}x{h}, pixels are {image.Width}x{image.Height}");
            var r = region is { } given && (given.Width < w || given.Height < h) ? given : new PixelRegion(0, 0, w, h);
            var pixels = GC.AllocateUninitializedArray<byte>(checked(r.Width * r.Height * 4)); // every row is copied below
            for (int y = r.Y0; y < r.Y1; y++)
            {
                var row = MemoryMarshal.AsBytes(image.DangerousGetPixelRowMemory(y).Span);
                row.Slice(r.X0 * 4, r.Width * 4).CopyTo(pixels.AsSpan((y - r.Y0) * r.Width * 4, r.Width * 4));
            }
            return new PixelImage(r.Width, r.Height, 4, pixels, r, w, h);
        }
    }

    private static unsafe IImageInfo Identify(ReadOnlySpan<byte> encoded)
    {
        IImageInfo? info;
        try
        {
            // ImageSharp 2.1 identifies from a stream or an array: a stream over the caller's bytes, no copy.
            fixed (byte* p = encoded)
            {
                using var stream = new UnmanagedMemoryStream(p, encoded.Length);
                info = Image.Identify(SingleThreaded, stream);
            }
        }
        catch (Exception e) when (e is ImageFormatException or NotSupportedException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or IOException)
        {
            throw new InvalidDataException($"not a decodable image ({e.Message})", e);
        }
        return info ?? throw new InvalidDataException("not a decodable image");
    }
}
