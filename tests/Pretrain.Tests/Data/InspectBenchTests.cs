using Pretrain.Config;
using Pretrain.Data;
using SkiaSharp;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Data;

public class InspectBenchTests
{
    private static RunConfig Config() => new()
    {
        Data = new DataConfig { Synthetic = new SyntheticDataConfig { TrainSize = 30, ValSize = 10, Size = 16 } },
        Augment = new AugmentConfig
        {
            Views = [new ViewConfig { Name = "a", CropSize = 10 }, new ViewConfig { Name = "b", CropSize = 6, Count = 2 }],
        },
        Training = new TrainingConfig { BatchSize = 4 },
    };

    /// <summary>Stands in for the device stage: uint8 HWC to [B,3,S,S] in [0,1], inverted so the test can
    /// tell that the grid shows the function's output.</summary>
    private static Tensor Invert(RawView v)
    {
        int b = v.SampleKeys.Length;
        return 1 - torch.tensor(v.Pixels).reshape(b, v.CropSize, v.CropSize, 3).permute(0, 3, 1, 2).to(ScalarType.Float32) / 255;
    }

    [Fact]
    public void InspectCountsClassesAndWritesTheViewGrid()
    {
        using var f = new TestFiles();
        var cfg = Config();
        var splits = DataSplits.Open(cfg.Data, cfg.Experiment.Seed);
        var report = DataInspector.Inspect(splits, cfg, f.Root, Invert, sizeSample: 7, gridSamples: 3, minTile: 1);
        var train = report.Splits[0];
        Assert.Equal(30, train.Count);
        Assert.Equal(Enumerable.Repeat(3, 10), train.ClassCounts.Select(c => c.Count));
        Assert.Equal("disc", train.ClassCounts[0].ClassName);
        Assert.Equal((7, 16, 16, 16.0, 16), (train.SizeSampled, train.MinWidth, train.MaxHeight, train.MeanWidth, train.MaxWidth));
        Assert.Equal(10, report.Splits[1].Count);
        Assert.Contains("train: 30 samples", report.ToText());

        using var bmp = SKBitmap.Decode(report.GridPath);
        // 3 crops per sample (a, b, b) in cells of 10 + 2 px padding; 3 sample rows.
        Assert.Equal((3 * 12 + 2, 3 * 12 + 2), (bmp.Width, bmp.Height));
        var batch = new TrainLoader(splits.Train, TrainLoaderOptions.FromConfig(cfg) with { BatchSize = 3, Workers = 0 }).Batch(0, 0);
        // Sample row 1, crop column 2 (second crop of view b), pixel (x=4, y=5): inverted raw crop.
        var raw = batch.Views[2].Pixels[((1 * 6 + 5) * 6 + 4) * 3];
        Assert.Equal(255 - raw, bmp.GetPixel(2 * 12 + 2 + 4, 1 * 12 + 2 + 5).Red);

        // Small crops are enlarged for viewing: 10-px cells × 4 (minTile 40), same pixel four times larger.
        var zoomed = DataInspector.Inspect(splits, cfg, Path.Combine(f.Root, "zoom"), Invert, sizeSample: 7, gridSamples: 3, minTile: 40);
        using var big = SKBitmap.Decode(zoomed.GridPath);
        Assert.Equal((3 * 42 + 2, 3 * 42 + 2), (big.Width, big.Height));
        Assert.Equal(255 - raw, big.GetPixel(2 * 42 + 2 + 4 * 4 + 3, 1 * 42 + 2 + 5 * 4 + 1).Red);
    }

    [Fact]
    public void InspectCountsSampledImagesOverThePixelLimit()
    {
        var cfg = Config();
        var splits = DataSplits.Open(cfg.Data, cfg.Experiment.Seed);
        // 16 x 16 = 256 pixels: over a limit of 255, not over 256 or over "no limit".
        var over = DataInspector.InspectSplit("train", splits.Train, 7, maxPixels: 255);
        Assert.Equal((7, 7, 255L), (over.SizeSampled, over.OverPixelLimitInSample, over.MaxImagePixels));
        Assert.Equal(0, DataInspector.InspectSplit("train", splits.Train, 7, maxPixels: 256).OverPixelLimitInSample);
        Assert.Equal(0, DataInspector.InspectSplit("train", splits.Train, 7, maxPixels: 0).OverPixelLimitInSample);
        var text = new DataInspection([over], null).ToText();
        Assert.Contains("over data.max_image_pixels (255) in the size sample: 7", text);
        Assert.DoesNotContain("max_image_pixels", new DataInspection([DataInspector.InspectSplit("train", splits.Train, 7, 256)], null).ToText());
    }

    [Fact]
    public void BenchReportsThroughputAndMemory()
    {
        var cfg = Config();
        var splits = DataSplits.Open(cfg.Data, 0);
        var r = DataBench.Run(splits.Train, TrainLoaderOptions.FromConfig(cfg) with { Workers = 2 }, Invert, batches: 3, warmupBatches: 1);
        Assert.Equal(2, r.Workers);
        Assert.Equal(12, r.ImagesMeasured);
        Assert.True(r.DecodeCropImagesPerSec > 0 && r.DecodeCropImagesPerSecPerCore > 0 && r.PipelineImagesPerSec > 0);
        Assert.Equal(r.PipelineImagesPerSec / 2, r.PipelineImagesPerSecPerCore, 6);
        Assert.InRange(r.PeakRssMib, 10, 1e6);
        var json = System.Text.Json.JsonSerializer.Serialize(r);
        Assert.Contains("\"decode_crop_images_per_sec\"", json);
        Assert.Contains("\"peak_rss_mib\"", json);
    }

    [Fact]
    public void JpegProbeMeasuresTheReferenceImage()
    {
        var jpeg = JpegDecodeProbe.MakeJpeg();
        Assert.Equal((500, 375), new SkiaImageDecoder().ReadSize(jpeg));
        var r = JpegDecodeProbe.Measure(iterations: 3);
        Assert.True(r.DecodeMs > 0 && r.DecodeCropMs > 0);
    }
}
