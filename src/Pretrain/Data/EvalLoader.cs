using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>
/// Deterministic, un-augmented batches in dataset order (the last batch may be short): resize the
/// shorter side to eval_resize (0 = round(image_size / 0.875)), centre crop image_size, bicubic as
/// torchvision's eval transforms in MoCo v3 / DINO. Unreadable samples are dropped from their batch in
/// skip mode (a feature bank must not count a sample twice) and named once in the log.
/// </summary>
public sealed class EvalLoader
{
    private readonly IDataSplit _split;
    private readonly int _batchSize, _workers, _prefetch;
    private readonly BadSampleGuard _guard;

    public EvalLoader(IDataSplit split, int imageSize, int evalResize, int batchSize, int workers = 2, int prefetch = 2,
        bool failOnError = false, Action<string>? log = null, ResampleFilter filter = ResampleFilter.Bicubic)
    {
        if (imageSize < 1 || batchSize < 1) throw new ArgumentException("image size and batch size must be positive");
        ImageSize = imageSize;
        Resize = evalResize > 0 ? evalResize : (int)Math.Round(imageSize / 0.875, MidpointRounding.AwayFromZero);
        if (Resize < imageSize) throw new ArgumentException($"augment.eval_resize {Resize} is smaller than data.image_size {imageSize}");
        if (split.Count == 0) throw new DataException($"no samples: {split.Description}");
        (_split, _batchSize, _workers, _prefetch, Filter) = (split, batchSize, workers, prefetch, filter);
        _guard = new BadSampleGuard(split, failOnError, log);
    }

    /// <param name="filter">the resize kernel: bicubic (DINO's eval transforms) unless the protocol says otherwise
    /// (MoCo v3's main_lincls: torchvision's default, bilinear).</param>
    public static EvalLoader FromConfig(IDataSplit split, RunConfig cfg, int batchSize, Action<string>? log = null,
        ResampleFilter filter = ResampleFilter.Bicubic) =>
        new(split, cfg.Data.ImageSize, cfg.Augment.EvalResize, batchSize, cfg.Data.Workers, cfg.Data.Prefetch,
            cfg.Data.OnErrorPolicy == OnErrorPolicy.Fail, log, filter);

    public int ImageSize { get; }
    public int Resize { get; }
    public ResampleFilter Filter { get; }
    public int BatchCount => (_split.Count + _batchSize - 1) / _batchSize;
    public IReadOnlyCollection<string> BadSamples => _guard.BadSamples;

    public IEnumerable<EvalBatch> Batches(int startBatch = 0) =>
        OrderedParallel.Run(startBatch, BatchCount, Build, _workers, _prefetch);

    private EvalBatch Build(int batchIndex)
    {
        int first = batchIndex * _batchSize, n = Math.Min(_batchSize, _split.Count - first);
        int s = ImageSize, bytes = s * s * 3;
        var px = new byte[n * bytes];
        var indices = new List<int>(n);
        var labels = new List<long>(n);
        for (int i = 0; i < n; i++)
        {
            int idx = first + i, slot = indices.Count;
            if (!_guard.TryCut(idx, (w, h) => [new CropJob(ResampleBox.EvalCenter(w, h, Resize, s), s, Filter, false, px, slot * bytes)]))
                continue;
            indices.Add(idx);
            labels.Add(_split.Label(idx));
        }
        if (indices.Count < n) Array.Resize(ref px, indices.Count * bytes);
        return new EvalBatch { BatchIndex = batchIndex, SampleIndices = indices.ToArray(), Labels = labels.ToArray(), Pixels = px, ImageSize = s };
    }
}
