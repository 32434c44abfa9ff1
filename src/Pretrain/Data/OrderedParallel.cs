using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Pretrain.Data;

/// <summary>
/// Produces items first..end-1 on worker threads and yields them in order. Worker w makes items
/// first+w, first+w+workers, ... into its own bounded queue, so at most about prefetch + workers
/// items exist at once whatever the dataset size, and the result never depends on thread timing.
/// A worker's exception is rethrown when the consumer reaches that item. Stopping the enumeration
/// early cancels and joins the workers.
/// </summary>
public static class OrderedParallel
{
    private readonly record struct Slot<T>(T? Item, ExceptionDispatchInfo? Error);

    public static IEnumerable<T> Run<T>(int first, int end, Func<int, T> produce, int workers, int prefetch)
    {
        if (end <= first) yield break;
        if (workers <= 0)
        {
            for (int k = first; k < end; k++) yield return produce(k);
            yield break;
        }
        workers = Math.Min(workers, end - first);
        int capacity = Math.Max(1, (prefetch + workers - 1) / workers);
        var queues = new BlockingCollection<Slot<T>>[workers];
        for (int w = 0; w < workers; w++) queues[w] = new BlockingCollection<Slot<T>>(capacity);
        using var cts = new CancellationTokenSource();
        var threads = new Thread[workers];
        for (int w = 0; w < workers; w++)
        {
            int wi = w;
            threads[w] = new Thread(() =>
            {
                try
                {
                    for (int k = first + wi; k < end; k += workers)
                    {
                        Slot<T> slot;
                        try { slot = new Slot<T>(produce(k), null); }
                        catch (Exception e) { slot = new Slot<T>(default, ExceptionDispatchInfo.Capture(e)); }
                        queues[wi].Add(slot, cts.Token);
                        if (slot.Error != null) return;
                    }
                }
                catch (OperationCanceledException) { }
            }) { IsBackground = true, Name = $"data-worker-{wi}" };
            threads[w].Start();
        }
        try
        {
            for (int k = first; k < end; k++)
            {
                var slot = queues[(k - first) % workers].Take();
                slot.Error?.Throw();
                yield return slot.Item!;
            }
        }
        finally
        {
            cts.Cancel();
            foreach (var t in threads) t.Join();
            foreach (var q in queues) q.Dispose();
        }
    }
}
