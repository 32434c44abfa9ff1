using System.CommandLine;
using System.Text.Json;
using Pretrain.Augment;
using Pretrain.Common;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Distributed;
using Pretrain.Training;
using Serilog;
using static TorchSharp.torch;

namespace Pretrain.Cli.Commands;

/// <summary>`pretrain bench step` and `pretrain bench data`: speed figures as text or one JSON object.</summary>
internal static class BenchCommands
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    static Option<bool> JsonOption() => new("--json") { Description = "Print one JSON object instead of text" };

    public static Command Step(CliSession session)
    {
        var options = new ConfigOptions();
        var steps = new Option<int>("--steps") { Description = "Timed steps after the warm-up", DefaultValueFactory = _ => 20, HelpName = "N" };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps", DefaultValueFactory = _ => 3, HelpName = "N" };
        var json = JsonOption();
        var device = DeviceOption.Create();
        var command = new Command("step", "Time full training steps (device augmentation, forward, backward, optimizer, EMA) of a config: median ms/step, images/s, peak RSS");
        options.AddTo(command);
        command.Options.Add(steps);
        command.Options.Add(warmup);
        command.Options.Add(device);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var cfg = options.Load(parse);
            var deviceName = parse.GetValue(device);
            int n = parse.GetValue(steps), w = parse.GetValue(warmup);
            if (n < 1 || w < 0) throw new UserInputException("--steps must be ≥ 1 and --warmup ≥ 0");
            // Under mpirun/srun every rank times its steps; rank 0 prints (the all-reduce figure is its share).
            using var collectives = Collectives.Create(preferNccl: DeviceOption.PrefersNccl(deviceName ?? cfg.Experiment.Device));
            var dp = new DataParallel(collectives);
            var dir = dp.Rank == 0 ? Directory.CreateTempSubdirectory("pretrain-bench-").FullName : Path.Combine(Path.GetTempPath(), $"pretrain-bench-rank{dp.Rank}-{Environment.ProcessId}");
            try
            {
                var r = StepBench.Run(cfg, n, w, Serilog.Core.Logger.None, dir, deviceName, dp);
                if (dp.Rank != 0) return ExitCodes.Success;
                if (parse.GetValue(json))
                    session.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["median_ms_per_step"] = Math.Round(r.MedianMsPerStep, 2),
                        ["images_per_sec"] = Math.Round(r.ImagesPerSec, 2),
                        ["cpu_ms_per_step"] = Math.Round(r.MedianCpuMsPerStep, 1),
                        ["peak_rss_mib"] = Math.Round(r.PeakRssMib, 1),
                        ["threads"] = r.Threads,
                        ["batch"] = r.Batch,
                        ["steps"] = r.Steps,
                        ["method"] = cfg.Method.Name,
                        ["sdmp"] = cfg.Sdmp.Enabled,
                        ["device"] = r.Device,
                        ["precision"] = cfg.Training.Precision,
                        ["world_size"] = r.WorldSize,
                        ["allreduce_ms_per_step"] = Math.Round(r.MedianAllReduceMs, 2),
                        ["allreduce_share"] = Math.Round(r.MedianAllReduceMs / r.MedianMsPerStep, 4),
                    }, Json));
                else
                    session.Out.WriteLine($"{cfg.Method.Name}{(cfg.Sdmp.Enabled ? " + SDMP" : "")}: median {r.MedianMsPerStep:F1} ms/step " +
                                          $"(min {r.StepMs.Min():F1}, max {r.StepMs.Max():F1}) over {r.Steps} steps after {w} warm-up, " +
                                          $"{r.ImagesPerSec:F1} images/s, CPU {r.MedianCpuMsPerStep:F0} ms/step, batch {r.Batch}, {r.Device}, {r.Threads} threads, peak RSS {r.PeakRssMib:F0} MiB" +
                                          (r.WorldSize > 1 ? $"; {r.WorldSize} ranks, gradient all-reduce {r.MedianAllReduceMs:F1} ms/step ({100 * r.MedianAllReduceMs / r.MedianMsPerStep:F1}% of a step)" : ""));
            }
            finally
            {
                try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
            }
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command Data(CliSession session)
    {
        var options = new ConfigOptions();
        var data = new Option<string?>("--data") { Description = "Benchmark this image folder instead of the config's data (imagefolder layout or flat)", HelpName = "DIR" };
        var batches = new Option<int>("--batches") { Description = "Timed batches after the warm-up", DefaultValueFactory = _ => 20, HelpName = "N" };
        var device = DeviceOption.Create("Training device the pipeline feeds: cpu (default; augment.stage auto puts the photometric ops in the loader), cuda or cuda:N (they run there)");
        var json = JsonOption();
        var command = new Command("data", "Images/s of decode+crop alone and of the full multi-view pipeline feeding --device (augment.stage places the photometric ops), per core and in total");
        options.AddTo(command);
        command.Options.Add(data);
        command.Options.Add(batches);
        command.Options.Add(device);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            // --data replaces the config's data location before loading, so a config whose path
            // names an unset ${VARIABLE} (the ImageNet ones) still benchmarks another folder.
            var overrides = (parse.GetValue(options.Set) ?? []).ToList();
            if (parse.GetValue(data) is { } dir)
            {
                if (!Directory.Exists(dir)) throw new UserInputException($"--data {dir}: no such folder");
                overrides.AddRange(["data.source=imagefolder", $"data.path={Path.GetFullPath(dir)}", "data.train_path=", "data.val_path="]);
            }
            var cfg = ConfigLoader.Load(parse.GetRequiredValue(options.Config), overrides);
            var target = RunBuilder.Device(cfg, parse.GetValue(device) ?? "cpu");
            var splits = RunBuilder.Data(cfg);
            var augmenter = new BatchAugmenter(cfg.Augment);
            var r = DataBench.Run(splits.Train, PhotometricStage.LoaderOptions(cfg, target), v => augmenter.Apply(v, target), parse.GetValue(batches));
            session.Out.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(r, Json) : r.ToText());
            return ExitCodes.Success;
        });
        return command;
    }
}
