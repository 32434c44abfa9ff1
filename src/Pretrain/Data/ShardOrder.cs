using Pretrain.Common;

namespace Pretrain.Data;

/// <summary>
/// The epoch order of a sharded split, as a streaming reader would produce it. Per epoch:
/// <list type="number">
/// <item>the shards are put in an order drawn from KeyedRandom(seed, epoch) and their samples laid end to
/// end (each shard's samples in stored order);</item>
/// <item>that sequence is cut into contiguous streams, rank-major: rank r's streams are its loader
/// workers w = 0..P-1 (P = max(1, data.workers)); stream (r, w) serves rank r's rows of the batches
/// k ≡ w (mod P), which the loader's worker w builds, so it gets exactly that many samples — a shard
/// at a cut is read partly by one stream and partly by the next, and the samples left after the
/// last full global batch (fewer than one batch) are the epoch's dropped tail;</item>
/// <item>each stream goes through a bounded shuffle buffer of data.shuffle_buffer samples (fill it,
/// then each arriving sample displaces a random one, which is emitted; drain at the end in random
/// order) drawn from KeyedRandom(seed, epoch, rank, worker).</item>
/// </list>
/// So the order is a pure function of (split layout, seed, epoch, batch, world, workers, buffer): batch k
/// is the same however it is reached, which makes a mid-epoch resume exact, and every sample of the
/// epoch's non-dropped part is seen exactly once across all ranks and workers.
/// </summary>
public static class ShardOrder
{
    private const long ShardOrderStream = 0x5348415244; // "SHARD"
    private const long BufferStream = 0x42554646;       // "BUFF"

    /// <param name="starts">Shard s holds indices [starts[s], starts[s + 1]).</param>
    /// <returns>Position p of the epoch → sample index; positions below (count / batch) × batch are the
    /// epoch's batches (rank r's rows of batch k at k·batch + r·batch/world ...), the rest the dropped tail.</returns>
    public static int[] EpochOrder(int[] starts, long seed, int epoch, int batchSize, int worldSize, int streamsPerRank, int shuffleBuffer)
    {
        if (starts.Length < 2) throw new ArgumentException("no shards", nameof(starts));
        if (batchSize < 1 || worldSize < 1 || batchSize % worldSize != 0)
            throw new ArgumentException($"batch size {batchSize} must be a positive multiple of the world size {worldSize}");
        int count = starts[^1], shards = starts.Length - 1;
        int streams = Math.Max(1, streamsPerRank), local = batchSize / worldSize, batches = count / batchSize;
        var sequence = new int[count];
        int at = 0;
        foreach (var s in new KeyedRandom(KeyedRandom.Key(seed, epoch, ShardOrderStream)).Permutation(shards))
        {
            int n = starts[s + 1] - starts[s];
            Sequence(starts[s], n).CopyTo(sequence, at);
            at += n;
        }
        var order = new int[count];
        int cursor = 0;
        for (int r = 0; r < worldSize; r++)
        for (int w = 0; w < streams; w++)
        {
            int len = StreamBatches(batches, streams, w) * local;
            var emitted = Shuffle(sequence.AsSpan(cursor, len), shuffleBuffer, new KeyedRandom(KeyedRandom.Key(seed, epoch, BufferStream, r, w)));
            cursor += len;
            // Sample j of the stream: row j % local of rank r in batch w + (j / local)·streams.
            for (int j = 0; j < len; j += local)
            {
                int k = w + j / local * streams;
                Array.Copy(emitted, j, order, (long)k * batchSize + (long)r * local, local);
            }
        }
        Array.Copy(sequence, cursor, order, cursor, count - cursor);
        return order;
    }

    /// <summary>Batches k &lt; batches with k ≡ w (mod streams).</summary>
    public static int StreamBatches(int batches, int streams, int w) => w < batches ? (batches - 1 - w) / streams + 1 : 0;

    /// <summary>The bounded shuffle buffer over one stream: what comes out, in order.</summary>
    public static int[] Shuffle(ReadOnlySpan<int> input, int bufferSize, KeyedRandom rng)
    {
        var output = input.ToArray();
        if (bufferSize <= 1 || input.Length <= 1) return output;
        var buffer = new int[Math.Min(bufferSize, input.Length)];
        int filled = 0, o = 0;
        foreach (var x in input)
        {
            if (filled < buffer.Length)
            {
                buffer[filled++] = x;
                continue;
            }
            int j = rng.NextInt(buffer.Length);
            output[o++] = buffer[j];
            buffer[j] = x;
        }
        while (filled > 0)
        {
            int j = rng.NextInt(filled);
            output[o++] = buffer[j];
            buffer[j] = buffer[--filled];
        }
        return output;
    }

    private static int[] Sequence(int first, int n)
    {
        var a = new int[n];
        for (int i = 0; i < n; i++) a[i] = first + i;
        return a;
    }
}
