using Pretrain.Augment;
using Pretrain.Checkpoints;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Distributed;
using Pretrain.Methods;
using Pretrain.Optim;
using Pretrain.Schedules;
using Pretrain.Training;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Composition;

/// <summary>
/// The composition root: builds the parts of a run once, from a validated config, in a fixed order
/// (the order fixes the torch RNG draws of initialisation, so it is part of the numerics). `run`,
/// `bench step`, `bench data` and the evaluation commands all start here.
/// </summary>
public static class RunBuilder
{
    /// <summary>The training device (an error before any folder exists when it cannot be had), with the
    /// torch thread count set for it: experiment.threads, else the free cores, shared by the ranks on
    /// this machine when data-parallel.</summary>
    public static Device Device(RunConfig cfg, string? deviceOverride = null, DataParallel? dp = null)
    {
        var device = DeviceSelector.Resolve(deviceOverride ?? cfg.Experiment.Device);
        set_num_threads(Threads(cfg, dp?.Collectives.LocalWorldSize ?? 1));
        return device;
    }

    /// <summary>Torch intra-op threads: experiment.threads, else the cores left after the loader workers of
    /// the ranks on this machine, shared among them (one process: cores − workers), at least 1.</summary>
    public static int Threads(RunConfig cfg, int localWorldSize = 1) => cfg.Experiment.Threads > 0
        ? cfg.Experiment.Threads
        : TorchThreads.PerRank(Environment.ProcessorCount, localWorldSize, cfg.Data.Workers);

    /// <summary>The config's data splits; missing or empty data fails here, with one line.</summary>
    public static DataSplits Data(RunConfig cfg) => DataSplits.Open(cfg.Data, cfg.Experiment.Seed);

    /// <summary>Data for training: the splits, and at least one full batch, so a run that cannot take a
    /// step fails before its folder is made; and the checks of the labelled data the monitors and the
    /// final probe need.</summary>
    public static DataSplits TrainingData(RunConfig cfg, DataParallel? dp = null)
    {
        int world = dp?.World ?? 1;
        if (cfg.Training.BatchSize % world != 0)
            throw new UserInputException($"training.batch_size: {cfg.Training.BatchSize} does not divide among {world} ranks (it is the global batch; each rank takes batch/world)");
        var splits = Data(cfg);
        TrainLoader.RequireOneBatch(splits.Train, cfg.Training.BatchSize);
        if (cfg.Eval.KnnEveryEpochs > 0 && !splits.Labelled)
            throw new UserInputException($"eval.knn_every_epochs: the k-NN monitor needs labelled train and val splits; {splits.Train.Description} has none (set data.val_fraction, or 0 to turn the monitor off)");
        if (cfg.Training.FinalProbe && !splits.Labelled)
            throw new UserInputException($"training.final_probe: the final probe needs labelled train and val splits; {splits.Train.Description} has none (set data.val_fraction, or false to skip the probe)");
        return splits;
    }

    /// <summary>The training loader of the config on this device; <paramref name="stage"/> overrides augment.stage.</summary>
    /// <param name="dp">Data-parallel: this rank's rows of every global batch.</param>
    public static TrainLoader Loader(RunConfig cfg, IDataSplit train, Device device, ILogger log, AugmentStage? stage = null, DataParallel? dp = null)
    {
        var options = PhotometricStage.LoaderOptions(cfg, device, stage);
        if (dp is { IsDistributed: true }) options = options with { Rank = dp.Rank, WorldSize = dp.World };
        var loader = new TrainLoader(train, options, m => log.Warning("{Data}", m));
        loader.EpochCompleted += (epoch, replaced) =>
        {
            if (replaced > 0) log.Warning("epoch {Epoch}: {Replaced} unreadable samples replaced (data.on_error: skip)", epoch, replaced);
        };
        return loader;
    }

    /// <summary>Every part of a training run. <paramref name="data"/>: the splits when the caller opened them
    /// already (`run` does, before making the folder). <paramref name="stage"/> overrides augment.stage and
    /// <paramref name="tensorboard"/> logging.tensorboard (bench step).</summary>
    public static TrainerParts Parts(RunConfig cfg, string runDir, ILogger log, Device device, DataSplits? data = null,
        AugmentStage? stage = null, bool? tensorboard = null, DataParallel? dp = null)
    {
        dp ??= DataParallel.Single;
        var splits = data ?? TrainingData(cfg, dp);
        var loader = Loader(cfg, splits.Train, device, log, stage, dp);
        var augmenter = new BatchAugmenter(cfg.Augment);
        var plan = TrainingPlan.From(cfg.Training, loader.BatchesPerEpoch);
        log.Information("Data: {Train}; photometric ops in the {Stage}", splits.Train.Description,
            PhotometricStage.InLoader(stage ?? cfg.Augment.StageKind, device) ? "loader workers" : "device");

        Precision(cfg, device, log);
        manual_seed(cfg.Experiment.Seed);
        var method = MethodFactory.Create(cfg, plan, device, dp);
        var groups = ParamGroups.For(method.Online, MethodDefaults.NoDecay(cfg));
        var optimizer = OptimizerFactory.Create(cfg.Optimizer, groups);
        // DINO warms the lr up with linspace(0, peak, W) (peak at iteration W-1); MoCo v3 reaches it at W.
        var schedule = new LearningRateSchedule(cfg.Optimizer, plan, cfg.Training.BatchSize, linspaceWarmup: cfg.Method.Kind == MethodKind.Dino);
        var store = new CheckpointStore(Path.Combine(runDir, "checkpoints"), cfg.Training.KeepLast);
        var metrics = dp.Rank == 0 ? new MetricsWriter(runDir, tensorboard ?? cfg.Logging.Tensorboard) : MetricsWriter.None();
        IEpochMonitor[] monitors = cfg.Eval.KnnEveryEpochs > 0 ? [new KnnEpochMonitor(cfg, splits, device, dp.Rank == 0 ? log : null)] : [];
        log.Information("{Method} on {Device}: {Steps} steps/epoch × {Epochs} epochs, batch {Batch}, peak lr {Lr:g4}, {Threads} torch threads",
            method.Name, device, plan.StepsPerEpoch, plan.Epochs, cfg.Training.BatchSize, schedule.PeakLr, get_num_threads());
        if (cfg.AppliedDefaults.Count > 0)
            log.Information("Method defaults applied: {Defaults}", string.Join(", ", cfg.AppliedDefaults));
        log.Information("Weight decay {Wd:g4} on {Which}", cfg.Optimizer.WeightDecay,
            MethodDefaults.NoDecay(cfg) == NoDecayRule.None ? "every parameter" : "weights only (not biases or 1-D parameters)");
        if (dp.IsDistributed)
            log.Information("Data-parallel over {World} ranks ({Transport}): {Local} samples per rank and step, SDMP partners {Partners}",
                dp.World, dp.Collectives.Name, cfg.Training.BatchSize / dp.World, cfg.Sdmp.Partners);
        return new TrainerParts(cfg, device, loader, augmenter, method, groups, optimizer, schedule, plan, store, metrics, monitors, dp);
    }

    /// <summary>training.precision and training.tf32 on this device: on CUDA the TF32 switches of cuBLAS and
    /// cuDNN follow training.tf32 (both off unless asked, so fp32 means fp32); on a CPU without AMX a bf16
    /// run gets one warning line that it will be slower than fp32.</summary>
    public static void Precision(RunConfig cfg, Device device, ILogger log)
    {
        if (device.type == DeviceType.CUDA)
        {
            backends.cuda.matmul.allow_tf32 = cfg.Training.Tf32;
            backends.cudnn.allow_tf32 = cfg.Training.Tf32;
        }
        var cpuinfo = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : null;
        var cpu = Diagnostics.CpuFacts.Parse(cpuinfo, null, null, Environment.ProcessorCount);
        if (Diagnostics.PrecisionAdvice.CpuWarning(cfg.Training.PrecisionKind, device.type == DeviceType.CPU, cpu) is { } warning)
            log.Warning("{Warning:l}", warning);
        log.Information("Precision: {Precision}{Tf32}", cfg.Training.Precision,
            device.type == DeviceType.CUDA ? $", TF32 {(cfg.Training.Tf32 ? "on" : "off")}" : "");
    }

    /// <summary>A trainer for the config: device, data and every part built here.</summary>
    public static Trainer Trainer(RunConfig cfg, string runDir, ILogger log, CancellationToken stop, string? deviceOverride = null, DataSplits? data = null)
    {
        var device = Device(cfg, deviceOverride);
        return new Trainer(Parts(cfg, runDir, log, device, data), log, stop);
    }
}
