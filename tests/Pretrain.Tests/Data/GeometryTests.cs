using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using SkiaSharp;
using Xunit;

namespace Pretrain.Tests.Data;

public class GeometryTests
{
    [Fact]
    public void RandomResizedCropFollowsTorchvisionDrawOrder()
    {
        // torchvision get_params: target_area = area·U(scale), aspect = exp(U(log ratio)),
        // w = round(sqrt(area·aspect)), h = round(sqrt(area/aspect)), then i = randint(0, H-h+1), j = randint(0, W-w+1).
        const int W = 40, H = 30;
        for (long key = 0; key < 50; key++)
        {
            var rng = new KeyedRandom((ulong)key * 7919);
            var copy = rng;
            var box = RandomResizedCrop.Sample(W, H, 0.3, 0.9, 0.75, 4.0 / 3.0, ref rng);
            double target = W * H * copy.Uniform(0.3, 0.9);
            double aspect = Math.Exp(copy.Uniform(Math.Log(0.75), Math.Log(4.0 / 3.0)));
            int w = (int)Math.Round(Math.Sqrt(target * aspect)), h = (int)Math.Round(Math.Sqrt(target / aspect));
            if (w > W || h > H) continue; // a retry; covered by the bounds test below
            int i = copy.NextInt(0, H - h + 1), j = copy.NextInt(0, W - w + 1);
            Assert.Equal(new CropBox(j, i, w, h), box);
        }
    }

    [Fact]
    public void RandomResizedCropRespectsAreaRatioAndImageBounds()
    {
        for (long key = 0; key < 500; key++)
        {
            var rng = new KeyedRandom(KeyedRandom.Key(key));
            var b = RandomResizedCrop.Sample(37, 23, 0.08, 1.0, 0.75, 4.0 / 3.0, ref rng);
            Assert.InRange(b.X, 0, 37 - b.Width);
            Assert.InRange(b.Y, 0, 23 - b.Height);
            double area = (double)b.Width * b.Height / (37 * 23);
            // Rounding each side by up to 0.5 px moves area and ratio slightly beyond the drawn bounds.
            Assert.InRange(area, 0.08 * 0.7, 1.0);
            Assert.InRange((double)b.Width / b.Height, 0.75 * 0.75, 4.0 / 3.0 / 0.75);
        }
    }

    [Fact]
    public void RandomResizedCropFallsBackToCentreCropClampedToRatio()
    {
        var rng = new KeyedRandom(1UL);
        // Square crops of the whole area never fit a 40x10 image: fallback height 10, width round(10·1).
        Assert.Equal(new CropBox(15, 0, 10, 10), RandomResizedCrop.Sample(40, 10, 1.0, 1.0, 1.0, 1.0, ref rng));
        // Tall image: ratio 0.25 < 3/4, so w = 10 and h = round(10 / 0.75) = 13, centred.
        Assert.Equal(new CropBox(0, 13, 10, 13), RandomResizedCrop.CenterFallback(10, 40, 0.75, 4.0 / 3.0));
        // Ratio inside the bounds: the whole image.
        Assert.Equal(new CropBox(0, 0, 12, 10), RandomResizedCrop.CenterFallback(12, 10, 0.75, 4.0 / 3.0));
    }

    private static Resampler.FloatImage Image(int w, int h, Func<int, int, byte> value)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            px[(y * w + x) * 3] = px[(y * w + x) * 3 + 1] = px[(y * w + x) * 3 + 2] = value(x, y);
        return Resampler.ToFloat(new PixelImage(w, h, 3, px));
    }

    [Theory]
    [InlineData(ResampleFilter.Bilinear, 20)]
    [InlineData(ResampleFilter.Bilinear, 5)]
    [InlineData(ResampleFilter.Bicubic, 20)]
    [InlineData(ResampleFilter.Bicubic, 3)]
    public void ConstantImageStaysConstant(ResampleFilter filter, int outSize)
    {
        var src = Image(13, 9, (_, _) => 137);
        var dst = new byte[outSize * outSize * 3];
        Resampler.Resample(src, ResampleBox.OfCrop(new CropBox(2, 1, 10, 7)), outSize, filter, false, dst);
        Assert.All(dst, v => Assert.Equal(137, v));
    }

    [Fact]
    public void BilinearUpscaleOfRampMatchesClosedForm()
    {
        // f(x) = 20x on 8 columns, 2x upscale: output i samples x = i/2 - 1/4, clamped to [0, 7] at the edges.
        var src = Image(8, 8, (x, _) => (byte)(20 * x));
        var dst = new byte[16 * 16 * 3];
        Resampler.Resample(src, ResampleBox.OfCrop(new CropBox(0, 0, 8, 8)), 16, ResampleFilter.Bilinear, false, dst);
        for (int y = 0; y < 16; y++)
        for (int i = 0; i < 16; i++)
            Assert.Equal((int)Math.Round(20 * Math.Clamp(i / 2.0 - 0.25, 0, 7)), (int)dst[(y * 16 + i) * 3]);
    }

    [Fact]
    public void BilinearDownscaleOfRampIsAntialiasedAsPil()
    {
        // f(x) = 10x on 16 columns to 8: the triangle widens to support 2, taps (1,3,3,1)/8 centred on
        // x = 2i + 0.5, so interior outputs are 20i + 5; at i = 0 the tap left of the image is dropped.
        var src = Image(16, 4, (x, _) => (byte)(10 * x));
        var dst = new byte[8 * 8 * 3];
        Resampler.Resample(src, new ResampleBox(0, 0, 16, 4, 0, 0, 16, 4), 8, ResampleFilter.Bilinear, false, dst);
        for (int i = 1; i < 7; i++) Assert.Equal(20 * i + 5, (int)dst[(3 * 8 + i) * 3]);
        Assert.Equal((int)Math.Round((10 * 0.75 + 20 * 0.25) / 1.75), (int)dst[0]);
    }

    /// <summary>PIL's separable filter written directly in doubles: Σ_i Σ_j wy(i) wx(j) src(j, i).</summary>
    private static double[] ReferenceWeights(double begin, double length, int read0, int read1, int outSize, int o, ResampleFilter f, out int lo)
    {
        double scale = length / outSize, fs = Math.Max(scale, 1), support = ResampleFilters.Support(f) * fs;
        double center = begin + (o + 0.5) * scale;
        lo = Math.Max((int)Math.Floor(center - support + 0.5), read0);
        int hi = Math.Min((int)Math.Floor(center + support + 0.5), read1);
        var w = new double[hi - lo];
        for (int j = lo; j < hi; j++) w[j - lo] = ResampleFilters.Weight(f, (j + 0.5 - center) / fs);
        double sum = w.Sum();
        return w.Select(v => v / sum).ToArray();
    }

    [Theory]
    [InlineData(ResampleFilter.Bilinear)]
    [InlineData(ResampleFilter.Bicubic)]
    public void SimdResampleMatchesDirectReference(ResampleFilter filter)
    {
        const int W = 37, H = 29;
        var px = new byte[W * H * 3];
        var rng = new KeyedRandom(99UL);
        for (int i = 0; i < px.Length; i++) px[i] = (byte)rng.NextInt(256);
        var img = new PixelImage(W, H, 3, px);
        var f = Resampler.ToFloat(img);
        foreach (var (box, size, flip) in new[]
        {
            (ResampleBox.OfCrop(new CropBox(3, 2, 30, 20)), 11, false), // downscale
            (ResampleBox.OfCrop(new CropBox(5, 7, 9, 6)), 16, true),    // upscale, flipped
            (new ResampleBox(1.7, 2.3, 33.1, 25.4, 1, 2, 35, 28), 13, false), // fractional box (reduced decode)
            (ResampleBox.EvalCenter(W, H, 20, 17), 17, true),
        })
        {
            var dst = new byte[size * size * 3];
            Resampler.Resample(f, box, size, filter, flip, dst);
            for (int oy = 0; oy < size; oy++)
            {
                var wy = ReferenceWeights(box.Y, box.Height, box.ReadY0, box.ReadY1, size, oy, filter, out int y0);
                for (int ox = 0; ox < size; ox++)
                {
                    var wx = ReferenceWeights(box.X, box.Width, box.ReadX0, box.ReadX1, size, ox, filter, out int x0);
                    for (int c = 0; c < 3; c++)
                    {
                        double v = 0;
                        for (int i = 0; i < wy.Length; i++)
                        for (int j = 0; j < wx.Length; j++)
                            v += wy[i] * wx[j] * px[((y0 + i) * W + x0 + j) * 3 + c];
                        int expect = (int)Math.Clamp(Math.Round(v), 0, 255);
                        int got = dst[(oy * size + (flip ? size - 1 - ox : ox)) * 3 + c];
                        Assert.InRange(got, expect - 1, expect + 1);
                    }
                }
            }
        }
        f.Return();
    }

    [Fact]
    public void FlipMirrorsColumns()
    {
        var src = Image(8, 8, (x, y) => (byte)(20 * x + y));
        var a = new byte[8 * 8 * 3];
        var b = new byte[8 * 8 * 3];
        var box = ResampleBox.OfCrop(new CropBox(0, 0, 8, 8));
        Resampler.Resample(src, box, 8, ResampleFilter.Bilinear, false, a);
        Resampler.Resample(src, box, 8, ResampleFilter.Bilinear, true, b);
        for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
        {
            Assert.Equal(20 * x + y, (int)a[(y * 8 + x) * 3]); // same size: identity
            Assert.Equal(a[(y * 8 + x) * 3], b[(y * 8 + 7 - x) * 3]);
        }
    }

    [Fact]
    public void EvalBoxIsResizeShorterSideThenCentreCrop()
    {
        // 500x375, Resize(256): 341x256 (int truncation as torchvision); CenterCrop(224): left round(58.5) = 58, top 16.
        var b = ResampleBox.EvalCenter(500, 375, 256, 224);
        Assert.Equal(58 * 500.0 / 341, b.X, 9);
        Assert.Equal(16 * 375.0 / 256, b.Y, 9);
        Assert.Equal(224 * 500.0 / 341, b.Width, 9);
        Assert.Equal(224 * 375.0 / 256, b.Height, 9);
        Assert.Equal((0, 0, 500, 375), (b.ReadX0, b.ReadY0, b.ReadX1, b.ReadY1));
    }

    [Fact]
    public void JpegIsDecodedDctScaledWhenTheCropsAllowIt()
    {
        var jpeg = TestFiles.Encode(64, 48, (x, y) => ((byte)(x * 4), (byte)(y * 5), 100), SKEncodedImageFormat.Jpeg, 95);
        var dec = new SkiaImageDecoder();
        var full = dec.Decode(jpeg);
        Assert.Equal((64, 48), (full.Width, full.Height));
        var quarter = dec.Decode(jpeg, (w, h) => new DecodeRequest(w / 4, h / 4));
        Assert.Equal((16, 12), (quarter.Width, quarter.Height));
        var needsFull = dec.Decode(jpeg, (w, h) => new DecodeRequest(w - 1, h));
        Assert.Equal((64, 48), (needsFull.Width, needsFull.Height));
        // A 32-px crop of a 40x40 region allows at most 40/32 reduction → 1/2 is not allowed.
        var jobs = new[] { new CropJob(ResampleBox.OfCrop(new CropBox(0, 0, 40, 40)), 32, ResampleFilter.Bilinear, false, new byte[32 * 32 * 3], 0) };
        Assert.Equal((52, 39), SampleCropper.MinimumSize(jobs, 64, 48));
    }
}
