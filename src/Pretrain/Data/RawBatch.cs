using Pretrain.Common;
using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>
/// One batch as the CPU loader hands it over: every crop of every sample already cut, resized and
/// flipped into uint8 HWC buffers. The photometric stage (jitter, grayscale, blur, solarize, normalize)
/// runs afterwards on the training device, vectorised over the batch (see Augment/BatchAugmenter), or,
/// when the loader was given one, already in the loader workers (RawView.Normalized).
/// </summary>
public sealed class RawBatch
{
    public required int Epoch { get; init; }
    /// <summary>Index of this batch inside its epoch (resume restarts at the next one).</summary>
    public required int BatchIndex { get; init; }
    /// <summary>Dataset indices of the samples (after any deterministic replacement of bad files).</summary>
    public required int[] SampleIndices { get; init; }
    /// <summary>Labels, -1 where the source has none.</summary>
    public required long[] Labels { get; init; }
    /// <summary>All crops in order: for each entry of augment.views, its `count` crops.</summary>
    public required RawView[] Views { get; init; }
    public int Size => SampleIndices.Length;
}

/// <summary>One crop of every sample of a batch.</summary>
public sealed class RawView
{
    /// <summary>B·S·S·3 bytes, HWC, RGB, sample-major.</summary>
    public required byte[] Pixels { get; init; }
    public required int CropSize { get; init; }
    /// <summary>The pipeline that produced it (photometric parameters come from here).</summary>
    public required ViewConfig Config { get; init; }
    /// <summary>Per sample: the key of its random stream for this crop (KeyedRandom), so device-stage
    /// parameters are a pure function of (seed, epoch, sample, view, crop).</summary>
    public required ulong[] SampleKeys { get; init; }
    /// <summary>Set when the photometric stage ran in the loader (augment.stage): the finished view,
    /// normalized float [B,3,S,S]; the device stage then only uploads it.</summary>
    public float[]? Normalized { get; internal set; }
}
