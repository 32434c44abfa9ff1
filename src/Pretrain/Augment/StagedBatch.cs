using Pretrain.Data;
using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// A loader batch whose view buffers have been handed to the training device ahead of the step that
/// uses them (<see cref="BatchAugmenter.Stage"/>): the trainer stages batch k+1 right after it has
/// queued step k, so on a GPU the host's pinned copy and the transfer overlap the running step and the
/// step finds its input on the device. On the CPU the buffers are views of the loader's arrays (no copy).
/// Owns the device buffers; the photometric ops (<see cref="BatchAugmenter.Apply(StagedBatch, int, bool)"/>)
/// read them and make new tensors.
/// </summary>
public sealed class StagedBatch : IDisposable
{
    private readonly Tensor[] _uploaded;
    private bool _disposed;

    internal StagedBatch(RawBatch raw, Tensor[] uploaded)
    {
        if (uploaded.Length != raw.Views.Length) throw new ArgumentException($"{uploaded.Length} buffers for {raw.Views.Length} views");
        Raw = raw;
        _uploaded = uploaded;
    }

    public RawBatch Raw { get; }
    public int ViewCount => _uploaded.Length;

    internal Tensor Uploaded(int index)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _uploaded[index];
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _uploaded) t.Dispose();
    }
}
