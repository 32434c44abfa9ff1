using System.Diagnostics;
using Pretrain.Config;
using Pretrain.Data;
using Serilog;

namespace Pretrain.Training;

/// <summary>
/// `pretrain bench step`: times full training steps (device augmentation, forward, backward, optimizer,
/// EMA) of a config after a warm-up. Batches are prefetched before timing so the figure is the step
/// itself, not the loader. Reports the median, images/s at the median and the peak RSS.
/// </summary>
public static class StepBench
{
    public sealed record Result(double MedianMsPerStep, double ImagesPerSec, double PeakRssMib, int Threads, int Batch, int Steps, double[] StepMs);

    public static Result Run(RunConfig cfg, int steps, int warmup, ILogger log, string runDir)
    {
        using var trainer = new Trainer(cfg, runDir, log, CancellationToken.None);
        var batches = trainer.Loader.Epoch(0, 0).Take(Math.Min(warmup + steps, trainer.Plan.StepsPerEpoch)).ToList();
        if (batches.Count == 0) throw new UserInputException("bench step: the data gives no full batch");
        trainer.Method.SetTraining(true);
        var times = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            var raw = batches[i % batches.Count];
            var sw = Stopwatch.StartNew();
            trainer.TrainStep(raw, 0);
            sw.Stop();
            if (i >= warmup) times.Add(sw.Elapsed.TotalMilliseconds);
        }
        var sorted = times.OrderBy(t => t).ToArray();
        double median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : 0.5 * (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]);
        return new Result(median, cfg.Training.BatchSize * 1000.0 / median, PeakMemory.PeakRssMib(), TorchSharp.torch.get_num_threads(),
            cfg.Training.BatchSize, steps, times.ToArray());
    }
}
