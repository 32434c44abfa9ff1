using System.Text.Json;
using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>
/// Checks what the ranks of Pretrain.MpiCheck's "collectives" scenario wrote against closed forms.
/// Rank k's all-reduce input is (k+1)·(i+1), so the sum over W ranks is (i+1)·W(W+1)/2; its all-gather
/// input is 10k + i, so the rows must appear in rank order; the broadcasts must carry the root's values.
/// </summary>
internal static class CollectivesResults
{
    public static int World(MpiJob job) => job.Rank(0).GetProperty("world").GetInt32();

    static IEnumerable<(int Rank, JsonElement Result)> Ranks(MpiJob job)
        => Enumerable.Range(0, World(job)).Select(r => (r, job.Rank(r)));

    static float[] Floats(JsonElement e, string key) => e.GetProperty(key).EnumerateArray().Select(x => x.GetSingle()).ToArray();
    static long[] Longs(JsonElement e, string key) => e.GetProperty(key).EnumerateArray().Select(x => x.GetInt64()).ToArray();

    public static void Identity(MpiJob job, string namePrefix)
    {
        Assert.True(job.ExitCode == 0, job.Describe());
        Assert.Equal(2, World(job));
        foreach (var (r, e) in Ranks(job))
        {
            Assert.Equal(r, e.GetProperty("rank").GetInt32());
            Assert.Equal(r, e.GetProperty("localRank").GetInt32());
            Assert.Equal(2, e.GetProperty("localWorld").GetInt32());
            Assert.StartsWith(namePrefix, e.GetProperty("name").GetString());
        }
    }

    public static void AllReduce(MpiJob job)
    {
        int w = World(job);
        float s = w * (w + 1) / 2f;
        foreach (var (_, e) in Ranks(job))
        {
            Assert.Equal(Enumerable.Range(1, 5).Select(i => i * s), Floats(e, "sum"));
            Assert.Equal(Enumerable.Range(1, 5).Select(i => i * s / w), Floats(e, "avg"));
            Assert.Equal(Enumerable.Range(1, 10).Select(i => i * s), Floats(e, "sumChunked"));
            Assert.Equal(Enumerable.Range(1, 4).Select(i => i * s), Floats(e, "coalescedA"));
            Assert.Equal([2L, 2L], Longs(e, "coalescedAShape"));
            Assert.Equal(Enumerable.Range(1, 3).Select(i => 10f * i * s), Floats(e, "coalescedB"));
            Assert.Equal(Enumerable.Repeat((w + 1) / 2f, 6), Floats(e, "flatView0"));
            Assert.Equal(Enumerable.Repeat(10f * (w + 1) / 2f, 4), Floats(e, "flatView1"));
        }
    }

    public static void AllGather(MpiJob job)
    {
        int w = World(job);
        var rows = Enumerable.Range(0, w).SelectMany(k => Enumerable.Range(0, 6).Select(i => 10f * k + i));
        var chunked = Enumerable.Range(0, w).SelectMany(k => Enumerable.Range(0, 7).Select(i => 100f * k + i));
        foreach (var (_, e) in Ranks(job))
        {
            Assert.Equal(rows, Floats(e, "gather"));
            Assert.Equal([2L * w, 3L], Longs(e, "gatherShape"));
            Assert.Equal(chunked, Floats(e, "gatherChunked"));
            Assert.Equal(Enumerable.Range(0, w).Select(k => k + 0.5f), Floats(e, "gatherScalar"));
            Assert.Equal([(long)w], Longs(e, "gatherScalarShape"));
        }
    }

    public static void Broadcast(MpiJob job)
    {
        foreach (var (_, e) in Ranks(job))
        {
            Assert.Equal([(1L << 40) + 1, (1L << 40) + 2, (1L << 40) + 3], Longs(e, "bcast0Int64"));   // root 0: factor 1
            Assert.Equal(Enumerable.Range(1, 4).Select(i => 2f * i), Floats(e, "bcast1"));         // root 1: factor 2
            Assert.Equal(Enumerable.Range(1, 7).Select(i => 2f * i), Floats(e, "bcastChunked"));
        }
    }

    /// <summary>Rank 1 reaches the second barrier 1.5 s late; rank 0 must have waited for it.</summary>
    public static void Barrier(MpiJob job)
        => Assert.InRange(job.Rank(0).GetProperty("barrierWaitMs").GetInt64(), 1000, 30_000);

    public static void ExceptionsAndChecks(MpiJob job)
    {
        foreach (var (_, e) in Ranks(job))
        {
            Assert.True(e.GetProperty("nullReferenceCaught").GetBoolean());
            Assert.True(e.GetProperty("divideByZeroCaught").GetBoolean());
            Assert.True(e.GetProperty("torchErrorCaught").GetBoolean());
            Assert.Equal("", e.GetProperty("ucxErrorSignals").GetString());
            Assert.True(e.GetProperty("nonContiguousRejected").GetBoolean());
            Assert.True(e.GetProperty("float64Rejected").GetBoolean());
            Assert.True(e.GetProperty("badRootRejected").GetBoolean());
        }
    }
}
