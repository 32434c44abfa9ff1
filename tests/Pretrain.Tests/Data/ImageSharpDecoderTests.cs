using System.Buffers.Binary;
using Pretrain.Config;
using Pretrain.Data;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Pbm;
using SixLabors.ImageSharp.Formats.Tga;
using SixLabors.ImageSharp.Formats.Tiff;
using SixLabors.ImageSharp.Formats.Tiff.Constants;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;
using Xunit;

namespace Pretrain.Tests.Data;

/// <summary>ImageSharp behind IImageDecoder, and data.decoder auto choosing by content. Every test image is made here.</summary>
public class ImageSharpDecoderTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly AutoImageDecoder Auto = new(SkiaImageDecoder.DefaultMaxPixels);

    private static (byte R, byte G, byte B) Pattern(int x, int y) => ((byte)(x * 37 + y * 3), (byte)(y * 29 + 5), (byte)((x ^ y) * 17));

    private static Image<Rgb24> PatternImage(int w, int h)
    {
        var img = new Image<Rgb24>(w, h);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            var (r, g, b) = Pattern(x, y);
            img[x, y] = new Rgb24(r, g, b);
        }
        return img;
    }

    private static byte[] Save(Image img, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var ms = new MemoryStream();
        img.Save(ms, encoder);
        return ms.ToArray();
    }

    private static void AssertPattern(PixelImage got, int w, int h)
    {
        Assert.Equal((w, h), (got.Width, got.Height));
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) Assert.Equal(Pattern(x, y), got.At(x, y));
    }

    [Fact]
    public void TiffTgaAndPbmDecodeThroughAutoWithImageSharp()
    {
        using var img = PatternImage(13, 9);
        var tiff = Save(img, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = TiffCompression.None });
        var tiffLzw = Save(img, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24, Compression = TiffCompression.Lzw });
        var tga = Save(img, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24, Compression = TgaCompression.None });
        foreach (var bytes in new[] { tiff, tiffLzw, tga })
        {
            Assert.IsType<ImageSharpDecoder>(Auto.Pick(bytes));
            AssertPattern(Auto.Decode(bytes), 13, 9);
            Assert.Equal((13, 9), Auto.ReadSize(bytes));
        }
        Assert.Equal(EncodedFormat.Tiff, ImageFormats.Sniff(tiff));
        Assert.Equal(EncodedFormat.Unknown, ImageFormats.Sniff(tga)); // TGA has no signature: Skia refuses it, ImageSharp reads it

        // PBM, written by hand in both encodings (1 = black, as the format says).
        bool White(int x, int y) => (x + y) % 3 == 0;
        var plain = new System.Text.StringBuilder("P1\n# comment\n10 6\n");
        var binary = new List<byte>(System.Text.Encoding.ASCII.GetBytes("P4\n10 6\n"));
        for (int y = 0; y < 6; y++)
        {
            int bits = 0;
            for (int x = 0; x < 10; x++)
            {
                plain.Append(White(x, y) ? "0 " : "1 ");
                if (!White(x, y)) bits |= 1 << (15 - x);
            }
            plain.Append('\n');
            binary.Add((byte)(bits >> 8));
            binary.Add((byte)bits);
        }
        foreach (var pbm in new[] { System.Text.Encoding.ASCII.GetBytes(plain.ToString()), binary.ToArray() })
        {
            Assert.Equal(EncodedFormat.Pnm, ImageFormats.Sniff(pbm));
            Assert.IsType<ImageSharpDecoder>(Auto.Pick(pbm));
            var got = Auto.Decode(pbm);
            for (int y = 0; y < 6; y++)
            for (int x = 0; x < 10; x++)
            {
                byte v = White(x, y) ? (byte)255 : (byte)0;
                Assert.Equal((v, v, v), got.At(x, y));
            }
        }
        // ImageSharp's own PBM encoder: a 8-bit greyscale P5 round trip.
        using var gray = new Image<L8>(5, 3);
        for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++) gray[x, y] = new L8((byte)(x * 50 + y));
        var pgm = Save(gray, new PbmEncoder { ColorType = PbmColorType.Grayscale, Encoding = PbmEncoding.Binary });
        var decodedGray = Auto.Decode(pgm);
        for (int y = 0; y < 3; y++)
        for (int x = 0; x < 5; x++) Assert.Equal(((byte)(x * 50 + y), (byte)(x * 50 + y), (byte)(x * 50 + y)), decodedGray.At(x, y));
    }

    /// <summary>A baseline little-endian RGB TIFF written by hand: 16 bits per sample, uncompressed, one
    /// strip per page; every page's pixels from <paramref name="pages"/>.</summary>
    private static byte[] Tiff16(int w, int h, params Func<int, int, (ushort R, ushort G, ushort B)>[] pages)
    {
        const int entries = 10;
        int ifdSize = 2 + entries * 12 + 4;
        int pageData = w * h * 6;
        int pageSize = ifdSize + 6 + pageData; // IFD, BitsPerSample values, strip
        var tiff = new byte[8 + pages.Length * pageSize];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), 8);
        for (int p = 0; p < pages.Length; p++)
        {
            int ifd = 8 + p * pageSize, bps = ifd + ifdSize, strip = bps + 6;
            var s = tiff.AsSpan();
            BinaryPrimitives.WriteUInt16LittleEndian(s[ifd..], entries);
            int e = ifd + 2;
            void Entry(ushort tag, ushort type, uint count, uint value)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(e), tag);
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(e + 2), type);
                BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(e + 4), count);
                if (type == 3 && count == 1) BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(e + 8), (ushort)value);
                else BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(e + 8), value);
                e += 12;
            }
            Entry(256, 4, 1, (uint)w);          // ImageWidth
            Entry(257, 4, 1, (uint)h);          // ImageLength
            Entry(258, 3, 3, (uint)bps);        // BitsPerSample: 16, 16, 16 (offset)
            Entry(259, 3, 1, 1);                // Compression: none
            Entry(262, 3, 1, 2);                // Photometric: RGB
            Entry(273, 4, 1, (uint)strip);      // StripOffsets
            Entry(277, 3, 1, 3);                // SamplesPerPixel
            Entry(278, 4, 1, (uint)h);          // RowsPerStrip
            Entry(279, 4, 1, (uint)pageData);   // StripByteCounts
            Entry(284, 3, 1, 1);                // PlanarConfiguration: chunky
            BinaryPrimitives.WriteUInt32LittleEndian(s[e..], p + 1 < pages.Length ? (uint)(ifd + pageSize) : 0u);
            for (int k = 0; k < 3; k++) BinaryPrimitives.WriteUInt16LittleEndian(s[(bps + 2 * k)..], 16);
            for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (r, g, b) = pages[p](x, y);
                int o = strip + (y * w + x) * 6;
                BinaryPrimitives.WriteUInt16LittleEndian(s[o..], r);
                BinaryPrimitives.WriteUInt16LittleEndian(s[(o + 2)..], g);
                BinaryPrimitives.WriteUInt16LittleEndian(s[(o + 4)..], b);
            }
        }
        return tiff;
    }

    [Fact]
    public void SixteenBitAndMultiPageTiffsDecodeToTheFirstPageIn8Bits()
    {
        // v·257 is exactly v in 8 bits; ImageSharp rounds other values to the nearest (v16 / 257).
        var page1 = (int x, int y) => { var (r, g, b) = Pattern(x, y); return ((ushort)(r * 257), (ushort)(g * 257), (ushort)(b * 257)); };
        var sixteen = Tiff16(7, 5, page1);
        Assert.IsType<ImageSharpDecoder>(Auto.Pick(sixteen));
        AssertPattern(Auto.Decode(sixteen), 7, 5);

        var rounding = Auto.Decode(Tiff16(2, 1, (x, _) => x == 0 ? ((ushort)(100 * 257 + 128), (ushort)65535, (ushort)0) : ((ushort)(100 * 257 + 129), (ushort)1, (ushort)128)));
        Assert.Equal(((byte)100, (byte)255, (byte)0), rounding.At(0, 0));
        Assert.Equal(((byte)101, (byte)0, (byte)0), rounding.At(1, 0));

        var twoPages = Tiff16(7, 5, page1, (_, _) => (0, 0, 65535));
        var first = Auto.Decode(twoPages);
        AssertPattern(first, 7, 5);
        Assert.Equal((7, 5), Auto.ReadSize(twoPages));
    }

    [Fact]
    public void PngPixelsAreTheSameFromSkiaAndImageSharp()
    {
        var rgb = TestFiles.Encode(23, 17, Pattern);
        var gray = TestFiles.EncodeGray(9, 4, 77);
        foreach (var png in new[] { rgb, gray })
        {
            var skia = new SkiaImageDecoder().Decode(png);
            var sharp = new ImageSharpDecoder().Decode(png);
            Assert.Equal((skia.Width, skia.Height, skia.Channels), (sharp.Width, sharp.Height, sharp.Channels));
            for (int y = 0; y < skia.Height; y++)
            for (int x = 0; x < skia.Width; x++) Assert.Equal(skia.At(x, y), sharp.At(x, y));
            Assert.IsType<SkiaImageDecoder>(Auto.Pick(png));
        }
        AssertPattern(new ImageSharpDecoder().Decode(rgb), 23, 17);
    }

    /// <summary>A photo-like 96×64 JPEG (smooth gradients plus mild noise, quality 90, 4:2:0).</summary>
    public static byte[] PhotoJpeg(int w = 96, int h = 64, int quality = 90) => TestFiles.Encode(w, h, (x, y) =>
    {
        var (nr, ng, nb) = ShardFixtures.Noise(3, x, y);
        return ((byte)Math.Clamp(40 + x * 150 / w + nr % 16, 0, 255),
                (byte)Math.Clamp(60 + y * 120 / h + ng % 16, 0, 255),
                (byte)Math.Clamp(200 - (x + y) * 100 / (w + h) + nb % 16, 0, 255));
    }, SKEncodedImageFormat.Jpeg, quality);

    [Fact]
    public void JpegPixelsAgreeWithinTheIdctTolerance()
    {
        var jpeg = PhotoJpeg();
        var skia = new SkiaImageDecoder().Decode(jpeg);
        var sharp = new ImageSharpDecoder().Decode(jpeg);
        Assert.Equal((96, 64), (sharp.Width, sharp.Height));
        long sum = 0;
        int max = 0, n = 0;
        for (int y = 0; y < 64; y++)
        for (int x = 0; x < 96; x++)
        {
            var (a, b) = (skia.At(x, y), sharp.At(x, y));
            foreach (var d in new[] { Math.Abs(a.R - b.R), Math.Abs(a.G - b.G), Math.Abs(a.B - b.B) })
            {
                sum += d;
                max = Math.Max(max, d);
                n++;
            }
        }
        double mean = (double)sum / n;
        output.WriteLine($"JPEG 96x64 q90: mean |Skia - ImageSharp| {mean:F3}, max {max}");
        // libjpeg-turbo (integer IDCT, its chroma upsampling) and ImageSharp (float IDCT, its upsampling) differ
        // by a level or two on most pixels; the README quotes these bounds.
        Assert.True(mean <= 1.0, $"mean |Skia - ImageSharp| = {mean:F3}");
        Assert.True(max <= 6, $"max |Skia - ImageSharp| = {max}");
    }

    [Fact]
    public void ThePixelLimitIsCheckedFromTheHeaderAndARegionIsCutOut()
    {
        using var img = PatternImage(40, 30);
        var tiff = Save(img, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24 });
        var e = Assert.Throws<InvalidDataException>(() => new ImageSharpDecoder(maxPixels: 1000).Decode(tiff));
        Assert.Contains("40x30 = 1200 pixels", e.Message);
        Assert.Throws<InvalidDataException>(() => new ImageSharpDecoder().Decode("not an image at all"u8));

        int calls = 0;
        var region = new ImageSharpDecoder().Decode(tiff, (w, h) =>
        {
            calls++;
            Assert.Equal((40, 30), (w, h));
            return new DecodeRequest(10, 10, new PixelRegion(5, 7, 25, 19));
        });
        Assert.Equal(1, calls);
        Assert.True(region.IsRegion);
        Assert.Equal((20, 12, 5, 7, 40, 30), (region.Width, region.Height, region.OriginX, region.OriginY, region.FullWidth, region.FullHeight));
        for (int y = 0; y < 12; y++)
        for (int x = 0; x < 20; x++) Assert.Equal(Pattern(x + 5, y + 7), region.At(x, y));
    }

    [Fact]
    public void DecoderSettingPicksTheLibraryForAFolder()
    {
        using var files = new TestFiles();
        using var img = PatternImage(16, 12);
        files.Write(Save(img, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24 }), "mixed", "a.tif");
        files.Write(TestFiles.Encode(16, 12, Pattern), "mixed", "b.png");
        files.Write(Save(img, new TgaEncoder { BitsPerPixel = TgaBitsPerPixel.Pixel24 }), "mixed", "c.tga");
        // A TIFF stored under a .jpg name: the content decides.
        files.Write(Save(img, new TiffEncoder { BitsPerPixel = TiffBitsPerPixel.Bit24 }), "mixed", "d.jpg");
        var cfg = new DataConfig { Source = "imagefolder", Path = files.Path("mixed") };
        var auto = DataSplits.Open(cfg, seed: 1).Train;
        Assert.Equal(4, auto.Count);
        for (int i = 0; i < 4; i++) AssertPattern(auto.Load(i), 16, 12);

        cfg.Decoder = "skia";
        var skia = DataSplits.Open(cfg, seed: 1).Train;
        var guard = new BadSampleGuard(skia, failOnError: false, log: null);
        int readable = Enumerable.Range(0, 4).Count(i => guard.TryCut(i, (_, _) => []));
        Assert.Equal(1, readable); // the PNG; TIFF and TGA are unreadable samples for Skia
        Assert.Equal(3, guard.BadSamples.Count);

        cfg.Decoder = "imagesharp";
        var sharp = DataSplits.Open(cfg, seed: 1).Train;
        for (int i = 0; i < 4; i++) AssertPattern(sharp.Load(i), 16, 12);
        Assert.Equal(ImageDecoderKind.ImageSharp, cfg.DecoderKind);
    }
}
