using System.Text.RegularExpressions;
using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// Collectives over MPI on contiguous CPU tensors, through the library's C API (see <see cref="MpiAbi"/>).
/// MPI is initialised with MPI_THREAD_SERIALIZED (.NET code after an await may resume on another thread;
/// calls are additionally serialised by a lock) and finalised on Dispose, only if this class initialised it.
/// MPI can be initialised once per process, so there is at most one instance at a time and none after
/// the first Dispose. Under MPI's default error handler a failed call, or a peer that died, aborts the job.
/// </summary>
public sealed unsafe class MpiCollectives : ICollectives
{
    /// <summary>MPI counts are int; 2^30 elements per call keeps every count (and byte count of a float chunk) in range.</summary>
    public const int MaxChunkElements = 1 << 30;

    static readonly object ProcessGate = new();
    static bool opened, finalizedByUs;

    readonly MpiAbi abi;
    readonly bool initializedByUs;
    readonly object gate = new();
    int chunkElements = MaxChunkElements;
    bool disposed;

    MpiCollectives(MpiAbi abi, bool initializedByUs)
    {
        this.abi = abi;
        this.initializedByUs = initializedByUs;
        Rank = abi.CommRank(abi.World);
        WorldSize = abi.CommSize(abi.World);
        var local = abi.SplitShared(abi.World);
        LocalRank = abi.CommRank(local);
        LocalWorldSize = abi.CommSize(local);
        abi.CommFree(local);
        VersionText = abi.LibraryVersion();
        Name = DescribeLibrary(abi.Family, VersionText);
    }

    /// <summary>
    /// Loads the first usable library among <paramref name="candidates"/> (see <see cref="Collectives.Create"/>
    /// for the usual order) and initialises MPI. Throws <see cref="Config.UserInputException"/> when none loads.
    /// </summary>
    public static MpiCollectives Initialize(IReadOnlyList<string> candidates, string launcher)
    {
        lock (ProcessGate)
        {
            if (opened) throw new InvalidOperationException("MPI is already open in this process; share the existing MpiCollectives");
            if (finalizedByUs) throw new InvalidOperationException("MPI was finalised in this process and cannot be initialised again");
            var abi = MpiLibrary.Load(candidates, launcher);
            bool ours = false;
            if (!abi.IsInitialized())
            {
                if (abi.IsFinalized()) throw new InvalidOperationException("MPI was finalised in this process and cannot be initialised again");
                int provided = abi.InitThread(MpiAbi.ThreadSerialized);
                ours = true;
                if (provided < MpiAbi.ThreadSerialized)
                {
                    abi.FinalizeMpi();
                    finalizedByUs = true;
                    throw new InvalidOperationException($"{abi.Path} provides thread level {provided}; MPI_THREAD_SERIALIZED (2) is needed");
                }
            }
            try
            {
                var mpi = new MpiCollectives(abi, ours);
                opened = true;
                return mpi;
            }
            catch when (ours)
            {
                abi.FinalizeMpi();
                finalizedByUs = true;
                throw;
            }
        }
    }

    public int Rank { get; }
    public int WorldSize { get; }
    public int LocalRank { get; }
    public int LocalWorldSize { get; }

    /// <summary>Family and version, e.g. "Open MPI 4.1.4" or "MPICH 4.0.2".</summary>
    public string Name { get; }

    /// <summary>MPI_Get_library_version's full text, for a debug log.</summary>
    public string VersionText { get; }

    /// <summary>The library file that was loaded.</summary>
    public string LibraryPath => abi.Path;

    /// <summary>Elements (bytes for <see cref="Broadcast"/>) per MPI call. The default is the most an int
    /// count allows; smaller values exist so tests can exercise the splitting on small tensors.</summary>
    public int ChunkElements
    {
        get => chunkElements;
        set => chunkElements = value is >= 1 and <= MaxChunkElements ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"chunk size must be in [1, {MaxChunkElements}]");
    }

    public void AllReduce(torch.Tensor tensor, ReduceOp op)
    {
        TensorChecks.Float32(tensor, nameof(tensor));
        TensorChecks.ContiguousCpu(tensor, nameof(tensor), "MPI");
        long n = tensor.numel();
        lock (gate)
        {
            ThrowIfDisposed();
            var p = (float*)TensorMemory.Address(tensor);
            for (long off = 0; off < n; off += chunkElements)
                abi.AllReduceSumFloat(p + off, (int)Math.Min(chunkElements, n - off), abi.World);
        }
        if (op == ReduceOp.Average && WorldSize > 1)
            using (torch.no_grad()) tensor.div_(WorldSize);
    }

    public torch.Tensor AllGather(torch.Tensor local)
    {
        TensorChecks.Float32(local, nameof(local));
        TensorChecks.ContiguousCpu(local, nameof(local), "MPI");
        var result = torch.empty(TensorChecks.GatheredShape(local, WorldSize), torch.float32, torch.CPU);
        long n = local.numel();
        if (n == 0) return result;
        try
        {
            lock (gate)
            {
                ThrowIfDisposed();
                var src = (float*)TensorMemory.Address(local);
                var dst = (float*)TensorMemory.Address(result);
                if (n <= chunkElements) { abi.AllGatherFloat(src, (int)n, dst, abi.World); return result; }
                // A chunk from every rank lands in a staging buffer, rank after rank; each rank's piece then
                // moves to its place in the result (rank r's chunk at offset off goes to r*n + off).
                using var staging = torch.empty((long)WorldSize * chunkElements, torch.float32, torch.CPU);
                using var flat = result.view(-1);
                var stage = (float*)TensorMemory.Address(staging);
                for (long off = 0; off < n; off += chunkElements)
                {
                    int c = (int)Math.Min(chunkElements, n - off);
                    abi.AllGatherFloat(src + off, c, stage, abi.World);
                    for (int r = 0; r < WorldSize; r++)
                    {
                        using var to = flat.narrow(0, r * n + off, c);
                        using var from = staging.narrow(0, (long)r * c, c);
                        to.copy_(from);
                    }
                }
                return result;
            }
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    public void Broadcast(torch.Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TensorChecks.ContiguousCpu(tensor, nameof(tensor), "MPI");
        TensorChecks.Root(root, WorldSize);
        long bytes = TensorMemory.ByteCount(tensor);
        lock (gate)
        {
            ThrowIfDisposed();
            var p = (byte*)TensorMemory.Address(tensor);
            for (long off = 0; off < bytes; off += chunkElements)
                abi.BroadcastBytes(p + off, (int)Math.Min(chunkElements, bytes - off), root, abi.World);
        }
    }

    public void Barrier()
    {
        lock (gate)
        {
            ThrowIfDisposed();
            abi.Barrier(abi.World);
        }
    }

    /// <summary>Broadcasts raw memory from root (used to hand NCCL its unique id).</summary>
    internal void BroadcastBytes(void* buffer, int count, int root)
    {
        TensorChecks.Root(root, WorldSize);
        lock (gate)
        {
            ThrowIfDisposed();
            abi.BroadcastBytes(buffer, count, root, abi.World);
        }
    }

    public void Dispose()
    {
        lock (ProcessGate)
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            opened = false;
            if (initializedByUs && !abi.IsFinalized())
            {
                abi.FinalizeMpi();
                finalizedByUs = true;
            }
        }
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);

    /// <summary>"Open MPI 4.1.4" from "Open MPI v4.1.4, package: ...", "MPICH 4.0.2" from "MPICH Version: 4.0.2 ...";
    /// other libraries of the family (Intel MPI, Cray MPICH) by the first line of their own text.</summary>
    internal static string DescribeLibrary(string family, string versionText)
    {
        var m = Regex.Match(versionText, @"^Open MPI v(?<v>[0-9][^,\s]*)");
        if (m.Success) return $"Open MPI {m.Groups["v"].Value}";
        m = Regex.Match(versionText, @"^MPICH Version:\s*(?<v>\S+)");
        if (m.Success) return $"MPICH {m.Groups["v"].Value}";
        var first = versionText.Split('\n', 2)[0].Split(',', 2)[0].Trim();
        return first.Length > 0 ? first : family;
    }
}
