using Pretrain.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// How the batch of one forward call is laid out, for the layers whose result depends on it: the
/// number of equal view chunks that BatchNorm normalises separately (MoCo v3 runs several views in one
/// call), the number of chunks the drop-path masks are drawn over, and the data-parallel world the
/// global batch spans (SyncBatchNorm statistics, global drop-path draws).
/// </summary>
public static class BatchLayout
{
    /// <summary>
    /// Sets the layout of every <see cref="ChunkedBatchNorm"/> and <see cref="DropPath"/> under
    /// <paramref name="root"/> until the returned handle is disposed, which restores the previous one.
    /// </summary>
    /// <param name="normChunks">Chunks each BatchNorm normalises on its own.</param>
    /// <param name="sampleChunks">Chunks of the batch for drop path (default: <paramref name="normChunks"/>).</param>
    public static IDisposable Scope(nn.Module root, int normChunks, DataParallel? sync = null, int? sampleChunks = null)
    {
        if (normChunks < 1) throw new ArgumentOutOfRangeException(nameof(normChunks));
        int drop = sampleChunks ?? normChunks;
        if (drop < 1) throw new ArgumentOutOfRangeException(nameof(sampleChunks));
        var modules = root.modules().Prepend(root).Distinct().ToList();
        var norms = modules.OfType<ChunkedBatchNorm>().ToList();
        var drops = modules.OfType<DropPath>().ToList();
        var previousNorms = norms.Select(l => (l.Chunks, l.Sync)).ToList();
        var previousDrops = drops.Select(l => (l.Chunks, l.Sync)).ToList();
        foreach (var l in norms) (l.Chunks, l.Sync) = (normChunks, sync);
        foreach (var l in drops) (l.Chunks, l.Sync) = (drop, sync);
        return new Restorer(() =>
        {
            for (int i = 0; i < norms.Count; i++) (norms[i].Chunks, norms[i].Sync) = previousNorms[i];
            for (int i = 0; i < drops.Count; i++) (drops[i].Chunks, drops[i].Sync) = previousDrops[i];
        });
    }

    private sealed class Restorer(Action restore) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            restore();
        }
    }
}
