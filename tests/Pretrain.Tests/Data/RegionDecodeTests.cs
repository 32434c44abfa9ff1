using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using SkiaSharp;
using Xunit;

namespace Pretrain.Tests.Data;

/// <summary>Decoding only the region the crops read must give exactly the pixels (and crops) of a whole decode.</summary>
public class RegionDecodeTests
{
    private static readonly SkiaImageDecoder Decoder = new();

    /// <summary>Photo-like content: smooth colour gradients plus texture, so every DCT block has detail.</summary>
    private static byte[] Jpeg(int w, int h, SKJpegEncoderDownsample downsample, int quality = 85)
    {
        var rng = new KeyedRandom(7UL);
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int t = (int)(rng.NextDouble() * 60) - 30;
            bmp.SetPixel(x, y, new SKColor((byte)Math.Clamp(128 + 90 * Math.Sin(x * 0.11) + t, 0, 255),
                (byte)Math.Clamp(128 + 90 * Math.Cos(y * 0.07 + x * 0.03) + t, 0, 255),
                (byte)Math.Clamp((x + 2 * y) % 256 + t / 2, 0, 255), 255));
        }
        using var pixmap = bmp.PeekPixels();
        using var data = pixmap.Encode(new SKJpegEncoderOptions(quality, downsample, SKJpegEncoderAlphaOption.Ignore));
        return data.ToArray();
    }

    // ImageMagick: 61x47 plasma, progressive (interlaced), 4:2:0, quality 80.
    private static readonly byte[] ProgressiveJpeg = Convert.FromBase64String("/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wgARCAAvAD0DASIAAhEBAxEB/8QAGgAAAwEBAQEAAAAAAAAAAAAAAwQFBgIAAf/EABkBAAIDAQAAAAAAAAAAAAAAAAMEAQIFBv/aAAwDAQACEAMQAAABedTbOkKXYTkk8y4lV7lPO1Fy8HiJrt6LuYfYr8XeDYLVSPYXzMnGTJPWHpRObD0/s4V0WjdzPU5n/8QAHhAAAgMAAwADAAAAAAAAAAAAAQIAAxEEEiEQEyL/2gAIAQEAAQUCwYmEWIOrAQsUi27K7Ir+SthH/UerAZnY1VtiFgOoEXMbJ28sqBAqlKwIJfsS/Ir9gnkBELbKWiWeWWCxbIlhicifbC0SzwcnQLsJt7fAaK0qshJIDT//xAAfEQABBAICAwAAAAAAAAAAAAAAAQIDERIhBBMUMXH/2gAIAQMBAT8BhpzaOjES410JPY7i16M8dKTMtLYTIrRyOT4daS2h4isOXHo//8QAHxEAAgICAgMBAAAAAAAAAAAAAAECAwQREiETIjEU/9oACAECAQE/AcfI8kPpN7RKHJFuNB/CnaKVzRw0y2OmSwpVlHo+yVan3E/Otex//8QAGhAAAQUBAAAAAAAAAAAAAAAAAAEQESAhMf/aAAgBAQAGPwLhBxu0l1VBZMfrS0otMIW2kpWaya+Gn//EAB8QAQADAAMBAQADAAAAAAAAAAEAESExQVFxYYGRwf/aAAgBAQABPyHRwqGwPkuMf1FcRAdBAWwKKvfI7ymcnTmWPCP6I6Sy7IuHSGW0FQN+xkUMLVB/mAYTIh/iaG3UTapR6RihlDZUsNVO+2Cul/s+V+MEPE9pcpzfyUVEoqjXczVdSld1OBbuBYMH34hBZs4viFh4ijcah0gBUYsZ6gzAj//aAAwDAQACAAMAAAAQQJ7sAzvhrrdR/8QAGhEBAQEBAAMAAAAAAAAAAAAAAQARITFBkf/aAAgBAwEBPxDtJ21eMHqclHesK15GWPJA6EuBKeNnEmXW78gde7//xAAYEQEBAQEBAAAAAAAAAAAAAAABABEhMf/aAAgBAgEBPxAceklV2HZ9uujbOJu3sMnbbrHlyTyHc8hNIbIv/8QAIhABAAMBAAICAgMBAAAAAAAAAQARITFBUWFxsdGBkcHw/9oACAEBAAE/EBmMGh4SUuIj9X3C+AdYI4Wup4/cYdkZa/8AZLtZoukPxccwD5f6lksDtMHzGFDKhWLl/eepYUAssNjCEAd77nZWjiVvIKKCu/j8wGBWuN+peEjtkpLj3A/1KqGghm/EvQU2GqElAoA2v1LTjbQOy/SfLWwzUXjXJz7fLrs7zoFe5m+VCIgtk1rGKloxyuJ/hu9+pZGg5nYwUgeP1GFNnEexapWunj+YbLQrRPPuEBRC3D8y1/lNFkDKRfioqhYJX1+4GwBfwzHwm2EYQCzbNPctE4Eo9S0L+K4w3iWCiJ0LraFXBKKLjXJcK+SKcqnq5//Z");

    public static TheoryData<string> Encodings() => ["420", "422", "444", "progressive"];

    private static byte[] Sample(string encoding) => encoding switch
    {
        "420" => Jpeg(203, 157, SKJpegEncoderDownsample.Downsample420),
        "422" => Jpeg(203, 157, SKJpegEncoderDownsample.Downsample422),
        "444" => Jpeg(203, 157, SKJpegEncoderDownsample.Downsample444),
        _ => ProgressiveJpeg,
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void RegionPixelsEqualTheWholeDecode(string encoding)
    {
        var jpeg = Sample(encoding);
        var full = Decoder.Decode(jpeg);
        var rng = new KeyedRandom(11UL);
        int regions = 0;
        for (int t = 0; t < 40; t++)
        {
            int x0 = rng.NextInt(full.Width - 8), y0 = rng.NextInt(full.Height - 8);
            int x1 = x0 + 1 + rng.NextInt(Math.Min(full.Width - x0, full.Width / 2)), y1 = y0 + 1 + rng.NextInt(Math.Min(full.Height - y0, full.Height / 2));
            var want = new PixelRegion(x0, y0, x1, y1);
            var img = Decoder.Decode(jpeg, (w, h) => new DecodeRequest(w, h, want));
            Assert.Equal((full.Width, full.Height), (img.FullWidth, img.FullHeight));
            Assert.True(img.OriginX <= x0 && img.OriginY <= y0 && img.OriginX + img.Width >= x1 && img.OriginY + img.Height >= y1,
                $"{want} not inside the decoded region at ({img.OriginX},{img.OriginY}) {img.Width}x{img.Height}");
            if (img.IsRegion) regions++;
            for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
                Assert.Equal(full.At(x, y), img.At(x - img.OriginX, y - img.OriginY));
        }
        Assert.True(regions > 30, $"only {regions} of 40 requests were decoded as regions");
    }

    [Fact]
    public void RegionOfADctScaledDecodeEqualsTheScaledWholeDecode()
    {
        var jpeg = Jpeg(320, 240, SKJpegEncoderDownsample.Downsample420);
        var half = Decoder.Decode(jpeg, (w, h) => new DecodeRequest(w / 2, h / 2));
        Assert.Equal((160, 120), (half.Width, half.Height));
        var img = Decoder.Decode(jpeg, (w, h) => new DecodeRequest(w / 2, h / 2, new PixelRegion(100, 60, 220, 180)));
        Assert.True(img.IsRegion);
        Assert.Equal((160, 120), (img.FullWidth, img.FullHeight));
        for (int y = 30; y < 90; y++)
        for (int x = 50; x < 110; x++)
            Assert.Equal(half.At(x, y), img.At(x - img.OriginX, y - img.OriginY));
    }

    [Fact]
    public void ATruncatedJpegStillFailsWhenOnlyItsTopIsRequested()
    {
        var jpeg = Jpeg(96, 96, SKJpegEncoderDownsample.Downsample420);
        var cut = jpeg[..(jpeg.Length * 2 / 3)];
        Assert.ThrowsAny<Exception>(() => Decoder.Decode(cut, (w, h) => new DecodeRequest(w, h, new PixelRegion(0, 0, 20, 10))));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void CropsFromARegionDecodeEqualCropsFromAWholeDecode(string encoding)
    {
        var jpeg = Sample(encoding);
        var (w0, h0) = Decoder.ReadSize(jpeg);
        for (int t = 0; t < 12; t++)
        {
            var a = new byte[2 * 24 * 24 * 3];
            var b = new byte[2 * 24 * 24 * 3];
            CropJob[] Plan(int w, int h, byte[] dst)
            {
                var rng = new KeyedRandom(KeyedRandom.Key(3, t));
                return Enumerable.Range(0, 2).Select(v =>
                {
                    var box = RandomResizedCrop.Sample(w, h, 0.08, 0.5, 0.75, 4.0 / 3.0, ref rng);
                    return new CropJob(ResampleBox.OfCrop(box), 24, v == 0 ? ResampleFilter.Bilinear : ResampleFilter.Bicubic, v == 1, dst, v * 24 * 24 * 3);
                }).ToArray();
            }
            SampleCropper.Cut(new OneImage(jpeg, region: true), 0, (w, h) => Plan(w, h, a));
            SampleCropper.Cut(new OneImage(jpeg, region: false), 0, (w, h) => Plan(w, h, b));
            Assert.Equal(b, a);
            Assert.Equal((w0, h0), Decoder.ReadSize(jpeg));
        }
    }

    [Theory]
    [InlineData("420", 28, 24)]
    [InlineData("444", 40, 32)]
    [InlineData("progressive", 32, 28)]
    public void EvalCropsFromARegionDecodeEqualCropsFromAWholeDecode(string encoding, int resize, int crop)
    {
        var jpeg = Sample(encoding);
        CropJob[] Plan(int w, int h, byte[] dst) =>
            [new CropJob(ResampleBox.EvalCenter(w, h, resize, crop), crop, ResampleFilter.Bicubic, false, dst, 0)];
        var a = new byte[crop * crop * 3];
        var b = new byte[crop * crop * 3];
        SampleCropper.Cut(new OneImage(jpeg, region: true), 0, (w, h) => Plan(w, h, a));
        SampleCropper.Cut(new OneImage(jpeg, region: false), 0, (w, h) => Plan(w, h, b));
        Assert.Equal(b, a);
        // The eval resize may read the whole image, but only the centre crop's neighbourhood is requested.
        var (w0, h0) = Decoder.ReadSize(jpeg);
        var region = SampleCropper.Request(Plan(w0, h0, a), w0, h0).Region!.Value;
        Assert.True(region.Width < w0, $"region {region} of a {w0}x{h0} image");
    }

    [Fact]
    public void EvalCropOfALargeJpegUsesAScaledRegionAndEqualsTheWholeDecode()
    {
        var jpeg = Jpeg(320, 240, SKJpegEncoderDownsample.Downsample420);
        CropJob[] Plan(int w, int h, byte[] dst) =>
            [new CropJob(ResampleBox.EvalCenter(w, h, 64, 56), 56, ResampleFilter.Bicubic, false, dst, 0)];
        var a = new byte[56 * 56 * 3];
        var b = new byte[56 * 56 * 3];
        SampleCropper.Cut(new OneImage(jpeg, region: true), 0, (w, h) => Plan(w, h, a));
        SampleCropper.Cut(new OneImage(jpeg, region: false), 0, (w, h) => Plan(w, h, b));
        Assert.Equal(b, a);
        var img = Decoder.Decode(jpeg, (w, h) => SampleCropper.Request(Plan(w, h, a), w, h));
        Assert.True(img.IsRegion && img.FullWidth < 320, $"decoded {img.Width}x{img.Height} of {img.FullWidth}x{img.FullHeight}");
    }

    /// <summary>One JPEG; with region: false the decode request loses its region (a whole decode).</summary>
    private sealed class OneImage(byte[] jpeg, bool region) : IDataSplit
    {
        public string Description => "one JPEG";
        public int Count => 1;
        public IReadOnlyList<string> Classes => [];
        public long Label(int index) => -1;
        public string SampleName(int index) => "one JPEG";
        public (int Width, int Height) ImageSize(int index) => Decoder.ReadSize(jpeg);
        public PixelImage Load(int index, DecodePlanner? planner = null) =>
            Decoder.Decode(jpeg, planner == null || region ? planner : (w, h) => planner(w, h) with { Region = null });
    }
}
