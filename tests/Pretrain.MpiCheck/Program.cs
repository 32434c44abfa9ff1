using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Pretrain.Config;
using Pretrain.Distributed;
using TorchSharp;

// One rank of a multi-rank check: `Pretrain.MpiCheck <scenario> <output folder>`.
// Each scenario writes rank<r>.json into the folder; the test computes the expected values itself.
// A UserInputException ends the process with its message on one stderr line and exit code 2, as the CLI does.
if (args.Length < 2) { Console.Error.WriteLine("usage: Pretrain.MpiCheck collectives|die|create|bench OUTPUT_DIR"); return 64; }
var scenario = args[0];
var output = args[1];
Directory.CreateDirectory(output);
torch.set_num_threads(1);
try
{
    using var world = Collectives.Create();
    var result = scenario switch
    {
        "collectives" => Scenarios.Collectives(world),
        "die" => Scenarios.Die(world, output),
        "create" => Scenarios.Describe(world),
        "bench" => Scenarios.Bench(world, args.Length > 2 ? int.Parse(args[2]) : 22_000_000),
        _ => throw new ArgumentException($"unknown scenario {scenario}"),
    };
    File.WriteAllText(Path.Combine(output, $"rank{world.Rank}.json"), JsonSerializer.Serialize(result));
    return 0;
}
catch (UserInputException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

static class Scenarios
{
    public static Dictionary<string, object?> Describe(ICollectives c) => new()
    {
        ["rank"] = c.Rank, ["world"] = c.WorldSize, ["localRank"] = c.LocalRank, ["localWorld"] = c.LocalWorldSize, ["name"] = c.Name,
    };

    public static Dictionary<string, object?> Collectives(ICollectives c)
    {
        var r = Describe(c);
        int rank = c.Rank;
        var mpi = c as MpiCollectives ?? throw new InvalidOperationException($"the collectives scenario runs under an MPI launcher; got {c.Name}");

        // All-reduce: element i of rank k is (k+1)*(i+1); sums and means have closed forms in the test.
        using (var t = RankTensor(rank, 5)) { c.AllReduce(t, ReduceOp.Sum); r["sum"] = Values(t); }
        using (var t = RankTensor(rank, 5)) { c.AllReduce(t, ReduceOp.Average); r["avg"] = Values(t); }
        using (var t = RankTensor(rank, 10))
        {
            mpi.ChunkElements = 3; // 10 elements in 4 calls of 3, 3, 3, 1
            c.AllReduce(t, ReduceOp.Sum);
            mpi.ChunkElements = MpiCollectives.MaxChunkElements;
            r["sumChunked"] = Values(t);
        }

        // All-gather: rank k's [2,3] tensor holds 10k + i; the result must be in rank order.
        using (var local = (torch.arange(6, torch.float32) + 10f * rank).reshape(2, 3))
        using (var g = c.AllGather(local)) { r["gather"] = Values(g); r["gatherShape"] = g.shape; }
        using (var local = torch.arange(7, torch.float32) + 100f * rank)
        {
            mpi.ChunkElements = 4; // 7 elements in chunks of 4 and 3, through the staging buffer
            using var g = c.AllGather(local);
            mpi.ChunkElements = MpiCollectives.MaxChunkElements;
            r["gatherChunked"] = Values(g);
        }
        using (var scalar = torch.tensor(rank + 0.5f))
        using (var g = c.AllGather(scalar)) { r["gatherScalar"] = Values(g); r["gatherScalarShape"] = g.shape; }

        // Broadcast: any dtype, from either root, also split into byte chunks.
        using (var t = torch.tensor(new long[] { 1, 2, 3 }) * (rank + 1) + (1L << 40)) { c.Broadcast(t, 0); r["bcast0Int64"] = t.data<long>().ToArray(); }
        using (var t = RankTensor(rank, 4)) { c.Broadcast(t, 1); r["bcast1"] = Values(t); }
        using (var t = RankTensor(rank, 7))
        {
            mpi.ChunkElements = 5; // 28 bytes in chunks of 5: float boundaries fall inside chunks
            c.Broadcast(t, 1);
            mpi.ChunkElements = MpiCollectives.MaxChunkElements;
            r["bcastChunked"] = Values(t);
        }

        // Coalesced all-reduce and the flat-buffer views: values come back into each tensor's own shape.
        using (var a = RankTensor(rank, 4).reshape(2, 2))
        using (var b = RankTensor(rank, 3) * 10f)
        {
            c.AllReduceCoalesced([a, b], ReduceOp.Sum);
            r["coalescedA"] = Values(a); r["coalescedAShape"] = a.shape; r["coalescedB"] = Values(b);
        }
        using (var p1 = torch.empty(2, 3)) using (var p2 = torch.empty(4))
        using (var flat = FlatBuffer.ZerosLike([p1, p2]))
        {
            flat.Views[0].fill_(rank + 1f);
            flat.Views[1].fill_(10f * (rank + 1));
            c.AllReduce(flat.Flat, ReduceOp.Average);
            r["flatView0"] = Values(flat.Views[0]); r["flatView1"] = Values(flat.Views[1]);
        }

        // Barrier: rank 1 arrives 1.5 s late; everyone else must wait for it.
        c.Barrier();
        if (rank == 1) Thread.Sleep(1500);
        var sw = Stopwatch.StartNew();
        c.Barrier();
        r["barrierWaitMs"] = sw.ElapsedMilliseconds;

        // Managed exceptions raised from signals (SIGSEGV, SIGFPE) and from libtorch are still caught after MPI init.
        r["nullReferenceCaught"] = Catches<NullReferenceException>(() => { string? s = Environment.GetEnvironmentVariable("PRETRAIN_SURELY_UNSET_" + rank); _ = s!.Length; });
        r["divideByZeroCaught"] = Catches<DivideByZeroException>(() => { int zero = rank - rank; _ = 1 / zero; });
        r["torchErrorCaught"] = Catches<Exception>(() => { using var x = torch.ones(2, 3); using var y = x.reshape(4); });
        r["ucxErrorSignals"] = Marshal.PtrToStringUTF8(getenv("UCX_ERROR_SIGNALS"));

        // Misuse is an ArgumentException on every rank before any communication.
        using (var nc = torch.ones(3, 2).t()) r["nonContiguousRejected"] = Catches<ArgumentException>(() => c.AllReduce(nc, ReduceOp.Sum));
        using (var d = torch.ones(3, torch.float64)) r["float64Rejected"] = Catches<ArgumentException>(() => c.AllReduce(d, ReduceOp.Sum));
        using (var t = torch.ones(3)) r["badRootRejected"] = Catches<ArgumentOutOfRangeException>(() => c.Broadcast(t, c.WorldSize));

        c.Barrier();
        return r;
    }

    /// <summary>Rank 1 kills itself with SIGKILL after a barrier while rank 0 keeps all-reducing; mpirun must end the job.</summary>
    public static Dictionary<string, object?> Die(ICollectives c, string output)
    {
        c.Barrier();
        File.WriteAllText(Path.Combine(output, $"ready{c.Rank}"), "");
        c.Barrier();
        if (c.Rank == 1) kill(Environment.ProcessId, 9);
        using var t = torch.ones(1000);
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(120)) c.AllReduce(t, ReduceOp.Sum);
        File.WriteAllText(Path.Combine(output, $"survived{c.Rank}"), "");
        return Describe(c);
    }

    /// <summary>Median all-reduce time of an n-float buffer over 5 runs (after 2 warm-up runs), next to a local add_ of the same size.</summary>
    public static Dictionary<string, object?> Bench(ICollectives c, int n)
    {
        var r = Describe(c);
        using var buf = torch.ones(n);
        using var other = torch.ones(n);
        var reduce = new List<double>();
        var bcast = new List<double>();
        var add = new List<double>();
        for (int i = 0; i < 7; i++)
        {
            c.Barrier();
            var sw = Stopwatch.StartNew();
            c.AllReduce(buf, ReduceOp.Average);
            if (i >= 2) reduce.Add(sw.Elapsed.TotalMilliseconds);
            c.Barrier();
            sw.Restart();
            c.Broadcast(buf, 0);
            if (i >= 2) bcast.Add(sw.Elapsed.TotalMilliseconds);
            sw.Restart();
            buf.add_(other);
            if (i >= 2) add.Add(sw.Elapsed.TotalMilliseconds);
        }
        r["floats"] = n;
        r["allReduceMs"] = reduce; r["allReduceMedianMs"] = Median(reduce);
        r["broadcastMedianMs"] = Median(bcast);
        r["localAddMedianMs"] = Median(add);
        Console.WriteLine($"rank {c.Rank}/{c.WorldSize} {c.Name}: all-reduce {n} floats median {Median(reduce):F1} ms [{string.Join(", ", reduce.Select(x => x.ToString("F1")))}], broadcast median {Median(bcast):F1} ms, local add_ median {Median(add):F1} ms");
        return r;
    }

    static double Median(List<double> xs) { var s = xs.Order().ToList(); return s[s.Count / 2]; }

    static torch.Tensor RankTensor(int rank, int n) => (torch.arange(1, n + 1, torch.float32) * (rank + 1f)).contiguous();

    static float[] Values(torch.Tensor t) => t.contiguous().data<float>().ToArray();

    static bool Catches<T>(Action a) where T : Exception
    {
        try { a(); return false; }
        catch (T) { return true; }
    }

    [DllImport("libc")] static extern int kill(int pid, int sig);
    [DllImport("libc")] static extern nint getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
