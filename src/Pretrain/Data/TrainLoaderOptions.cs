using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>What the training loader needs from the run config (plus distributed rank/world size).</summary>
public sealed record TrainLoaderOptions
{
    /// <summary>Global batch size (all ranks together); incomplete last batches are dropped.</summary>
    public required int BatchSize { get; init; }
    public required long Seed { get; init; }
    public required IReadOnlyList<ViewConfig> Views { get; init; }
    public int Workers { get; init; } = 2;
    public int Prefetch { get; init; } = 2;
    /// <summary>data.on_error: false = skip (replace deterministically), true = fail.</summary>
    public bool FailOnError { get; init; }
    /// <summary>data.shuffle_buffer: samples in each shard stream's shuffle buffer (sharded splits only).</summary>
    public int ShuffleBuffer { get; init; } = DataConfig.DefaultShuffleBuffer;
    public int Rank { get; init; }
    public int WorldSize { get; init; } = 1;
    /// <summary>When set, the workers finish every view with it (the photometric stage on the CPU,
    /// per sample) and store the result in RawView.Normalized.</summary>
    public Func<RawView, float[]>? Photometric { get; init; }

    public static TrainLoaderOptions FromConfig(RunConfig cfg) => new()
    {
        BatchSize = cfg.Training.BatchSize,
        Seed = cfg.Experiment.Seed,
        Views = cfg.Augment.Views,
        Workers = cfg.Data.Workers,
        Prefetch = cfg.Data.Prefetch,
        FailOnError = cfg.Data.OnErrorPolicy == OnErrorPolicy.Fail,
        ShuffleBuffer = cfg.Data.ShuffleBuffer,
    };
}
