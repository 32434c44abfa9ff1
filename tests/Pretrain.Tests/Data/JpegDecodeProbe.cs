using System.Diagnostics;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using SkiaSharp;

namespace Pretrain.Tests.Data;

/// <summary>Test helper: single-thread cost of the reference case: a photo-like 500x375 JPEG (q90), Skia decode alone
/// and decode + random resized crop to 224 (bilinear, flip) through the loader's own code path.</summary>
internal static class JpegDecodeProbe
{
    public sealed record Result(double DecodeMs, double DecodeCropMs, int Iterations);

    public static byte[] MakeJpeg(int width = 500, int height = 375, int quality = 90)
    {
        // Smooth gradients plus deterministic texture, so the entropy coder has realistic work.
        var px = new byte[width * height * 4];
        var rng = new KeyedRandom(42UL);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int o = (y * width + x) * 4;
            double t = rng.NextDouble() * 40;
            px[o] = (byte)Math.Clamp(128 + 100 * Math.Sin(x * 0.03) + t - 20, 0, 255);
            px[o + 1] = (byte)Math.Clamp(128 + 100 * Math.Cos(y * 0.05 + x * 0.01) + t - 20, 0, 255);
            px[o + 2] = (byte)Math.Clamp((x + y) * 255.0 / (width + height) + t - 20, 0, 255);
            px[o + 3] = 255;
        }
        using var img = SKImage.FromPixelCopy(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), px);
        using var data = img.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    public static Result Measure(int iterations = 200)
    {
        var jpeg = MakeJpeg();
        var decoder = new SkiaImageDecoder();
        var split = new EncodedBytesSplit(jpeg, decoder);
        var dst = new byte[224 * 224 * 3];
        for (int i = 0; i < 10; i++) { decoder.Decode(jpeg); Cut(split, dst, i); }
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++) decoder.Decode(jpeg);
        double decodeMs = sw.Elapsed.TotalMilliseconds / iterations;
        sw.Restart();
        for (int i = 0; i < iterations; i++) Cut(split, dst, i);
        double cropMs = sw.Elapsed.TotalMilliseconds / iterations;
        return new Result(decodeMs, cropMs, iterations);
    }

    private static void Cut(IDataSplit split, byte[] dst, int i) => SampleCropper.Cut(split, 0, (w, h) =>
    {
        var rng = new KeyedRandom(KeyedRandom.Key(i, 1));
        var box = RandomResizedCrop.Sample(w, h, 0.08, 1.0, 0.75, 4.0 / 3.0, ref rng);
        return [new CropJob(ResampleBox.OfCrop(box), 224, ResampleFilter.Bilinear, rng.Bernoulli(0.5), dst, 0)];
    });

    /// <summary>One encoded image held in memory, so the probe measures decoding, not the disk.</summary>
    private sealed class EncodedBytesSplit(byte[] encoded, IImageDecoder decoder) : IDataSplit
    {
        public string Description => "in-memory JPEG";
        public int Count => 1;
        public IReadOnlyList<string> Classes => [];
        public long Label(int index) => -1;
        public string SampleName(int index) => "in-memory JPEG";
        public (int Width, int Height) ImageSize(int index) => decoder.ReadSize(encoded);
        public PixelImage Load(int index, DecodePlanner? planner = null) => decoder.Decode(encoded, planner);
    }
}
