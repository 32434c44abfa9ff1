using System.Collections.Concurrent;
using Pretrain.Common;
using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>
/// The pretraining loader. Epoch order is a permutation from KeyedRandom(seed, epoch) with the last
/// incomplete batch dropped; every crop's geometry and flip come from the key (seed, epoch, sample,
/// view, crop). So batch k of an epoch is a pure function of (split, options, epoch, k): identical for
/// any number of workers and when iteration starts at k (resume). Each rank takes its contiguous slice
/// of every global batch. An unreadable sample is replaced by the next readable one in the epoch order.
/// A sharded split (<see cref="ShardSplit"/>) is read as streams instead: the epoch order comes from
/// <see cref="ShardOrder"/> (shard order per epoch, one contiguous stream per rank and worker, a bounded
/// shuffle buffer), still a pure function of the epoch, so the same holds for a given world size and
/// worker count.
/// </summary>
public sealed class TrainLoader
{
    private const long EpochOrderStream = 0x4F52444552; // "ORDER"
    private readonly IDataSplit _split;
    private readonly TrainLoaderOptions _o;
    private readonly BadSampleGuard _guard;
    private readonly ResampleFilter[] _filters;
    private readonly ConcurrentDictionary<int, int> _replaced = new();
    private (int Epoch, int[] Order)? _order;
    private readonly object _orderLock = new();

    public TrainLoader(IDataSplit split, TrainLoaderOptions options, Action<string>? log = null)
    {
        if (options.WorldSize < 1 || options.Rank < 0 || options.Rank >= options.WorldSize)
            throw new ArgumentException($"rank {options.Rank} of world size {options.WorldSize}");
        if (options.BatchSize < 1 || options.BatchSize % options.WorldSize != 0)
            throw new ArgumentException($"batch size {options.BatchSize} must be a positive multiple of the world size {options.WorldSize}");
        if (options.Views.Count == 0) throw new ArgumentException("augment.views is empty");
        foreach (var v in options.Views)
            if (v.Count < 1 || v.CropSize < 1 || v.Scale.Length != 2 || v.Ratio.Length != 2)
                throw new ArgumentException($"view '{v.Name}': count and crop_size must be positive, scale and ratio two numbers");
        RequireOneBatch(split, options.BatchSize);
        (_split, _o) = (split, options);
        _guard = new BadSampleGuard(split, options.FailOnError, log);
        _filters = options.Views.Select(v => v.Filter).ToArray();
    }

    /// <summary>A split with fewer samples than one global batch gives no training step: a data error.</summary>
    public static void RequireOneBatch(IDataSplit split, int batchSize)
    {
        if (split.Count < batchSize)
            throw new DataException($"{split.Count} samples is less than one batch of {batchSize}: {split.Description}");
    }

    public int BatchesPerEpoch => _split.Count / _o.BatchSize;
    public int LocalBatchSize => _o.BatchSize / _o.WorldSize;
    public IDataSplit Split => _split;
    public IReadOnlyCollection<string> BadSamples => _guard.BadSamples;

    /// <summary>Samples replaced because unreadable, summed over the batches of that epoch yielded so far.</summary>
    public int ReplacedInEpoch(int epoch) => _replaced.GetValueOrDefault(epoch);

    /// <summary>Raised when an enumeration reaches the end of an epoch: (epoch, replaced samples).</summary>
    public event Action<int, int>? EpochCompleted;

    /// <summary>The key of a crop's random stream; goes into RawView.SampleKeys (the device stage derives
    /// its photometric parameters from it with its own stream; the crop uses Key(key, 1)).</summary>
    public static ulong SampleKey(long seed, int epoch, int sample, int view, int crop) =>
        KeyedRandom.Key(seed, epoch, sample, view, crop);

    public int[] EpochOrder(int epoch)
    {
        lock (_orderLock)
        {
            if (_order is { } o && o.Epoch == epoch) return o.Order;
            var perm = ShardSplit.Layout(_split) is { } shards
                ? ShardOrder.EpochOrder(shards, _o.Seed, epoch, _o.BatchSize, _o.WorldSize, _o.Workers, _o.ShuffleBuffer)
                : new KeyedRandom(KeyedRandom.Key(_o.Seed, epoch, EpochOrderStream)).Permutation(_split.Count);
            _order = (epoch, perm);
            return perm;
        }
    }

    /// <summary>Batches startBatch.. of the epoch, built by data.workers threads ahead of the consumer.</summary>
    public IEnumerable<RawBatch> Epoch(int epoch, int startBatch = 0)
    {
        if (startBatch < 0 || startBatch > BatchesPerEpoch) throw new ArgumentOutOfRangeException(nameof(startBatch));
        if (startBatch == 0) _replaced[epoch] = 0;
        var order = EpochOrder(epoch);
        foreach (var (batch, replaced) in OrderedParallel.Run(startBatch, BatchesPerEpoch, k => Build(epoch, k, order), _o.Workers, _o.Prefetch))
        {
            _replaced.AddOrUpdate(epoch, replaced, (_, c) => c + replaced);
            yield return batch;
        }
        EpochCompleted?.Invoke(epoch, ReplacedInEpoch(epoch));
    }

    /// <summary>One batch, built on the calling thread.</summary>
    public RawBatch Batch(int epoch, int batchIndex) => Build(epoch, batchIndex, EpochOrder(epoch)).Batch;

    private (RawBatch Batch, int Replaced) Build(int epoch, int batchIndex, int[] order)
    {
        int n = LocalBatchSize, first = batchIndex * _o.BatchSize + _o.Rank * n;
        var views = new List<RawView>();
        var viewBuffers = new List<(byte[] Pixels, ulong[] Keys, int ViewIndex, int Crop)>();
        for (int v = 0; v < _o.Views.Count; v++)
        {
            var vc = _o.Views[v];
            for (int c = 0; c < vc.Count; c++)
            {
                // Uninitialised: every slot is cut into before the batch is handed out (or Build throws).
                var px = GC.AllocateUninitializedArray<byte>((long)n * vc.CropSize * vc.CropSize * 3 > int.MaxValue
                    ? throw new ArgumentException($"view '{vc.Name}' batch buffer exceeds 2 GB") : n * vc.CropSize * vc.CropSize * 3);
                var keys = new ulong[n];
                views.Add(new RawView { Pixels = px, CropSize = vc.CropSize, Config = vc, SampleKeys = keys });
                viewBuffers.Add((px, keys, v, c));
            }
        }
        var indices = new int[n];
        var labels = new long[n];
        int replaced = 0;
        for (int b = 0; b < n; b++)
        {
            int pos = first + b;
            int tries = Math.Min(_split.Count, 1000);
            int t = 0;
            for (; t < tries; t++)
            {
                int idx = order[(pos + t) % order.Length];
                if (_guard.TryCut(idx, (w, h) => Plan(epoch, idx, b, w, h, viewBuffers)))
                {
                    indices[b] = idx;
                    labels[b] = _split.Label(idx);
                    foreach (var vb in viewBuffers) vb.Keys[b] = SampleKey(_o.Seed, epoch, idx, vb.ViewIndex, vb.Crop);
                    break;
                }
            }
            if (t == tries)
                throw new DataException($"no readable sample among {tries} consecutive samples of epoch {epoch}: {_split.Description}");
            if (t > 0) replaced++;
        }
        if (_o.Photometric is { } finish)
            foreach (var v in views) v.Normalized = finish(v);
        return (new RawBatch { Epoch = epoch, BatchIndex = batchIndex, SampleIndices = indices, Labels = labels, Views = views.ToArray() }, replaced);
    }

    private CropJob[] Plan(int epoch, int sample, int slot, int width, int height,
        List<(byte[] Pixels, ulong[] Keys, int ViewIndex, int Crop)> buffers)
    {
        var jobs = new CropJob[buffers.Count];
        for (int i = 0; i < buffers.Count; i++)
        {
            var (px, _, v, c) = buffers[i];
            var vc = _o.Views[v];
            var rng = new KeyedRandom(KeyedRandom.Key((long)SampleKey(_o.Seed, epoch, sample, v, c), 1));
            var box = RandomResizedCrop.Sample(width, height, vc.Scale[0], vc.Scale[1], vc.Ratio[0], vc.Ratio[1], ref rng);
            bool flip = rng.Bernoulli(vc.FlipP);
            int s = vc.CropSize;
            jobs[i] = new CropJob(ResampleBox.OfCrop(box), s, _filters[v], flip, px, slot * s * s * 3);
        }
        return jobs;
    }
}
