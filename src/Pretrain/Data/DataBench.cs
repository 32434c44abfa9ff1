using System.Diagnostics;
using Pretrain.Common;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Data;

/// <summary>Library side of `pretrain data bench`: loader throughput after a warm-up, decode + all crops
/// alone (one thread, and data.workers threads), and the full pipeline with the device augmentation
/// applied to every view on the consuming thread.</summary>
public static class DataBench
{
    /// <param name="options">Loader options; with options.Photometric set, the pipeline run finishes views in the workers.</param>
    /// <param name="augment">The consumer's stage for one view ([B,3,S,S]: the device photometric ops, or
    /// only the upload of a view the workers finished); null skips the pipeline run.</param>
    public static DataBenchResult Run(IDataSplit split, TrainLoaderOptions options, Func<RawView, Tensor>? augment,
        int batches = 20, int warmupBatches = 2)
    {
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches));
        int workers = Math.Max(1, options.Workers);
        // Batches built ahead during the warm-up (up to prefetch + workers) would arrive at no cost
        // inside the timed window; the warm-up lasts until that backlog is consumed.
        warmupBatches = Math.Max(warmupBatches, options.Prefetch + workers + 1);
        var decodeOnly = options with { Photometric = null };
        double single = ImagesPerSecond(new TrainLoader(split, decodeOnly with { Workers = 0 }), batches, warmupBatches, null);
        double total = ImagesPerSecond(new TrainLoader(split, decodeOnly with { Workers = workers }), batches, warmupBatches, null);
        double pipeline = augment == null ? double.NaN
            : ImagesPerSecond(new TrainLoader(split, options with { Workers = workers }), batches, warmupBatches, augment);
        return new DataBenchResult
        {
            DecodeCropImagesPerSec = total,
            DecodeCropImagesPerSecPerCore = single,
            PipelineImagesPerSec = pipeline,
            PipelineImagesPerSecPerCore = pipeline / workers,
            Workers = workers,
            PhotometricStage = options.Photometric == null ? "device" : "loader",
            ImagesMeasured = batches * options.BatchSize / options.WorldSize,
            PeakRssMib = PeakMemory.PeakRssMib(),
        };
    }

    /// <summary>Steady-state rate: the clock starts once the last warm-up batch is consumed and stops
    /// when the last timed one is, so it spans exactly the timed batches' production.</summary>
    private static double ImagesPerSecond(TrainLoader loader, int batches, int warmup, Func<RawView, Tensor>? augment)
    {
        var sw = new Stopwatch();
        int seen = 0, images = 0;
        warmup = Math.Max(1, warmup);
        foreach (var b in Endless(loader))
        {
            if (augment != null)
            {
                using var scope = torch.NewDisposeScope();
                foreach (var v in b.Views) augment(v).sum().item<float>(); // forces device work to finish
            }
            if (seen >= warmup) images += b.Size;
            if (++seen == warmup) sw.Start();
            if (seen == warmup + batches) break;
        }
        return images / sw.Elapsed.TotalSeconds;
    }

    private static IEnumerable<RawBatch> Endless(TrainLoader loader)
    {
        for (int epoch = 0; ; epoch++)
            foreach (var b in loader.Epoch(epoch)) yield return b;
    }
}
