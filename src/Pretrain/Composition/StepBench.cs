using System.Diagnostics;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Distributed;
using Pretrain.Training;
using Serilog;

namespace Pretrain.Composition;

/// <summary>
/// `pretrain bench step`: times full training steps (photometric ops on the device, forward, backward,
/// optimizer, EMA) of a config after a warm-up. Batches are prefetched before timing so the figure is the step
/// itself, not the loader. Reports the median, images/s at the median and the peak RSS.
/// </summary>
public static class StepBench
{
    /// <param name="MedianCpuMsPerStep">Process CPU time (user+system, all threads) per step: steadier than
    /// wall time on a shared machine, so A/B comparisons can use it.</param>
    /// <param name="MedianAllReduceMs">Data-parallel: the gradient all-reduce's share of a step (0 in one process).</param>
    public sealed record Result(double MedianMsPerStep, double ImagesPerSec, double PeakRssMib, int Threads, int Batch, int Steps, double[] StepMs,
        double MedianCpuMsPerStep, double MedianAllReduceMs = 0, int WorldSize = 1, string Device = "cpu");

    /// <param name="runDir">A scratch folder for the trainer's files (no TensorBoard is written).</param>
    /// <param name="dp">Data-parallel: every rank times its own steps (batch = the global batch).</param>
    public static Result Run(RunConfig cfg, int steps, int warmup, ILogger log, string runDir, string? deviceOverride = null, DataParallel? dp = null)
    {
        // The photometric ops stay inside the timed step (on a CPU device augment.stage auto would move
        // them into the loader workers, out of the step), so figures keep one meaning on every device.
        dp ??= DataParallel.Single;
        var device = RunBuilder.Device(cfg, deviceOverride, dp);
        var parts = RunBuilder.Parts(cfg, runDir, log, device, RunBuilder.TrainingData(cfg, dp), stage: AugmentStage.Device, tensorboard: false, dp: dp);
        using var trainer = new Trainer(parts, log, CancellationToken.None);
        trainer.SyncReplicas();
        var batches = parts.Loader.Epoch(0, 0).Take(Math.Min(warmup + steps, trainer.Plan.StepsPerEpoch)).ToList();
        if (batches.Count == 0) throw new UserInputException("bench step: the data gives no full batch");
        trainer.Method.SetTraining(true);
        var times = new List<double>();
        var cpu = new List<double>();
        var allReduce = new List<double>();
        var process = Process.GetCurrentProcess();
        for (int i = 0; i < warmup + steps; i++)
        {
            var raw = batches[i % batches.Count];
            process.Refresh();
            var cpu0 = process.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            trainer.TrainStep(raw, 0);
            // A step that reads no loss value leaves the device running: wait for it, so the time is the step's.
            if (device.type == TorchSharp.DeviceType.CUDA) TorchSharp.torch.cuda.synchronize(device);
            sw.Stop();
            process.Refresh();
            if (i < warmup) continue;
            times.Add(sw.Elapsed.TotalMilliseconds);
            cpu.Add((process.TotalProcessorTime - cpu0).TotalMilliseconds);
            allReduce.Add(trainer.LastAllReduceMs);
        }
        double median = Median(times);
        return new Result(median, cfg.Training.BatchSize * 1000.0 / median, PeakMemory.PeakRssMib(), TorchSharp.torch.get_num_threads(),
            cfg.Training.BatchSize, steps, times.ToArray(), Median(cpu), Median(allReduce), dp.World, device.ToString());
    }

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.OrderBy(t => t).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
