using Pretrain.Config;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Data;

/// <summary>Library side of `pretrain data inspect`: counts, size statistics, and a PNG grid of the
/// training views of a few samples (rows = samples, columns = crops in view order).</summary>
public static class DataInspector
{
    public const string GridFileName = "augmented_views.png";

    /// <param name="augment">The device photometric stage: one RawView to [B,3,S,S] floats in [0,1];
    /// null shows the CPU crops alone.</param>
    public static DataInspection Inspect(DataSplits splits, RunConfig cfg, string? gridFolder,
        Func<RawView, Tensor>? augment = null, int sizeSample = 200, int gridSamples = 6, int minTile = 96)
    {
        long limit = cfg.Data.MaxImagePixels;
        var stats = new List<SplitInspection> { InspectSplit("train", splits.Train, sizeSample, limit) };
        if (splits.Val != null) stats.Add(InspectSplit("val", splits.Val, sizeSample, limit));
        string? grid = null;
        if (gridFolder != null)
        {
            Directory.CreateDirectory(gridFolder);
            grid = Path.Combine(gridFolder, GridFileName);
            WriteGrid(splits.Train, cfg, augment, Math.Min(gridSamples, splits.Train.Count), grid, minTile);
        }
        return new DataInspection(stats, grid);
    }

    /// <param name="maxPixels">data.max_image_pixels (0 = no limit): sampled images above it are counted.</param>
    public static SplitInspection InspectSplit(string name, IDataSplit split, int sizeSample, long maxPixels = 0)
    {
        var counts = new int[split.Classes.Count];
        int unlabeled = 0;
        for (int i = 0; i < split.Count; i++)
        {
            long l = split.Label(i);
            if (l >= 0 && l < counts.Length) counts[l]++;
            else unlabeled++;
        }
        int m = Math.Min(sizeSample, split.Count), bad = 0, seen = 0, over = 0;
        int minW = int.MaxValue, minH = int.MaxValue, maxW = 0, maxH = 0;
        double sumW = 0, sumH = 0;
        for (int k = 0; k < m; k++)
        {
            // Evenly spread over the split so a class-sorted folder is sampled across classes.
            int i = (int)((long)k * split.Count / m);
            int w, h;
            try { (w, h) = split.ImageSize(i); }
            catch (Exception) { bad++; continue; }
            seen++;
            if (maxPixels > 0 && (long)w * h > maxPixels) over++;
            (minW, minH, maxW, maxH) = (Math.Min(minW, w), Math.Min(minH, h), Math.Max(maxW, w), Math.Max(maxH, h));
            (sumW, sumH) = (sumW + w, sumH + h);
        }
        if (seen == 0) (minW, minH) = (0, 0);
        return new SplitInspection(name, split.Description, split.Count,
            split.Classes.Select((c, i) => (c, counts[i])).ToArray(), unlabeled,
            seen, minW, minH, seen > 0 ? sumW / seen : 0, seen > 0 ? sumH / seen : 0, maxW, maxH, bad, over, maxPixels);
    }

    /// <param name="minTile">Small crops (28-px Fashion-MNIST, 32-px CIFAR) are enlarged by an integer
    /// factor, nearest neighbour, until the largest is at least this many pixels, so people can see them.</param>
    private static void WriteGrid(IDataSplit split, RunConfig cfg, Func<RawView, Tensor>? augment, int samples, string path, int minTile)
    {
        var options = TrainLoaderOptions.FromConfig(cfg) with { BatchSize = samples, Workers = 0 };
        var batch = new TrainLoader(split, options).Batch(0, 0);
        var cells = batch.Views.Select(v => ViewPixels(v, augment, samples)).ToArray();
        const int pad = 2;
        int maxCrop = batch.Views.Max(v => v.CropSize);
        int zoom = Math.Max(1, minTile / maxCrop);
        int cell = maxCrop * zoom + pad;
        int width = cells.Length * cell + pad, height = samples * cell + pad;
        var rgba = new byte[width * height * 4];
        for (int i = 3; i < rgba.Length; i += 4) rgba[i] = 255;
        for (int c = 0; c < cells.Length; c++)
        {
            int s = batch.Views[c].CropSize;
            for (int r = 0; r < samples; r++)
            for (int y = 0; y < s * zoom; y++)
            for (int x = 0; x < s * zoom; x++)
            {
                int src = ((r * s + y / zoom) * s + x / zoom) * 3;
                int dst = (((r * cell + pad + y) * width) + c * cell + pad + x) * 4;
                rgba[dst] = cells[c][src];
                rgba[dst + 1] = cells[c][src + 1];
                rgba[dst + 2] = cells[c][src + 2];
            }
        }
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var image = SKImage.FromPixelCopy(info, rgba);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }

    /// <summary>B·S·S·3 bytes of one view: the augmented tensor brought back to uint8 HWC in one transfer.</summary>
    private static byte[] ViewPixels(RawView view, Func<RawView, Tensor>? augment, int samples)
    {
        if (augment == null) return view.Pixels;
        using var scope = torch.NewDisposeScope();
        var t = augment(view);
        long[] expected = [samples, 3, view.CropSize, view.CropSize];
        if (!t.shape.SequenceEqual(expected))
            throw new ArgumentException($"augment returned shape [{string.Join(",", t.shape)}], expected [{string.Join(",", expected)}]");
        var u8 = (t.detach().clamp(0, 1) * 255).round().to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().cpu();
        return u8.data<byte>().ToArray();
    }
}
