using Pretrain.Config;
using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// Collectives for CUDA tensors over NCCL, bootstrapped over another world (MPI): rank 0's
/// ncclUniqueId is broadcast through it, and CPU tensors are passed on to it. It owns the bootstrap
/// once constructed and disposes it after the NCCL communicator.
/// <para><b>Unverified.</b> Written against NCCL's C API (nccl.h) and never run: the machine this was
/// written on has no GPU and no libnccl. Construction fails with a one-line <see cref="UserInputException"/>
/// when libnccl.so.2 is absent or torch sees no GPU.</para>
/// <para>Each rank's GPU must be its CUDA device 0 (<see cref="GpuAssignment"/> sets CUDA_VISIBLE_DEVICES
/// before the first CUDA call): NCCL binds the communicator to the current device, and TorchSharp cannot
/// change it.</para>
/// <para>Stream: every call is enqueued on CUDA's legacy default stream (0). TorchSharp 0.107 exposes no
/// stream API (no current-stream query, no stream guard), so libtorch never leaves the default stream and
/// its kernels and NCCL's are ordered on that one stream. NCCL calls return once enqueued; reading the
/// result on the host (.cpu(), item()) waits for it as for any kernel.</para>
/// </summary>
public sealed unsafe class NcclCollectives : ICollectives
{
    /// <summary>The legacy default stream; see the class comment for why not the current stream.</summary>
    static readonly nint Stream = 0;

    readonly NcclLibrary nccl;
    readonly ICollectives bootstrap;
    readonly nint comm;
    readonly int device;
    readonly bool hasAvg;
    readonly object gate = new();
    bool disposed;

    /// <param name="bootstrap">The world to build on (usually <see cref="MpiCollectives"/>). Owned by this
    /// object only when construction succeeds; on failure the caller still disposes it.</param>
    /// <param name="libraryOverride">A library path instead of libnccl.so.2.</param>
    public NcclCollectives(ICollectives bootstrap, string? libraryOverride = null)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        nccl = NcclLibrary.Load(libraryOverride);
        if (!torch.cuda.is_available())
            throw new UserInputException("NCCL was asked for but torch sees no CUDA device (CPU build of TorchSharp, or no GPU): use the CPU path over MPI");
        this.bootstrap = bootstrap;

        int code;
        nccl.Check(nccl.GetVersion(&code), "ncclGetVersion");
        Name = $"NCCL {NcclLibrary.VersionText(code)}";
        hasAvg = code >= 21000;

        // ncclGetUniqueId on rank 0 only; the other ranks receive its bytes through the bootstrap world.
        NcclUniqueId id = default;
        if (bootstrap.Rank == 0) nccl.Check(nccl.GetUniqueId(&id), "ncclGetUniqueId");
        using (var idBytes = torch.zeros(NcclUniqueId.Bytes, torch.uint8))
        {
            var span = idBytes.bytes;
            if (bootstrap.Rank == 0) new ReadOnlySpan<byte>(id.Internal, NcclUniqueId.Bytes).CopyTo(span);
            bootstrap.Broadcast(idBytes, 0);
            idBytes.bytes.CopyTo(new Span<byte>(id.Internal, NcclUniqueId.Bytes));
        }

        nint c;
        nccl.Check(nccl.CommInitRank(&c, bootstrap.WorldSize, id, bootstrap.Rank), "ncclCommInitRank");
        comm = c;
        int d;
        nccl.Check(nccl.CommCuDevice(comm, &d), "ncclCommCuDevice", comm);
        device = d;
    }

    public int Rank => bootstrap.Rank;
    public int WorldSize => bootstrap.WorldSize;
    public int LocalRank => bootstrap.LocalRank;
    public int LocalWorldSize => bootstrap.LocalWorldSize;
    public string Name { get; }

    public void AllReduce(torch.Tensor tensor, ReduceOp op)
    {
        TensorChecks.Float32(tensor, nameof(tensor));
        if (tensor.device_type == DeviceType.CPU) { bootstrap.AllReduce(tensor, op); return; }
        CheckCuda(tensor, nameof(tensor));
        bool nativeAvg = op == ReduceOp.Average && hasAvg;
        var p = (void*)TensorMemory.Address(tensor);
        lock (gate)
        {
            ThrowIfDisposed();
            nccl.Check(nccl.AllReduce(p, p, (nuint)tensor.numel(), NcclLibrary.Float32, nativeAvg ? NcclLibrary.Avg : NcclLibrary.Sum, comm, Stream), "ncclAllReduce", comm);
        }
        if (op == ReduceOp.Average && !nativeAvg && WorldSize > 1)
            using (torch.no_grad()) tensor.div_(WorldSize);
    }

    public torch.Tensor AllGather(torch.Tensor local)
    {
        TensorChecks.Float32(local, nameof(local));
        if (local.device_type == DeviceType.CPU) return bootstrap.AllGather(local);
        CheckCuda(local, nameof(local));
        var result = torch.empty(TensorChecks.GatheredShape(local, WorldSize), torch.float32, local.device);
        try
        {
            var src = (void*)TensorMemory.Address(local);
            var dst = (void*)TensorMemory.Address(result);
            lock (gate)
            {
                ThrowIfDisposed();
                nccl.Check(nccl.AllGather(src, dst, (nuint)local.numel(), NcclLibrary.Float32, comm, Stream), "ncclAllGather", comm);
            }
            return result;
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
        if (tensor.device_type == DeviceType.CPU) { bootstrap.Broadcast(tensor, root); return; }
        CheckCuda(tensor, nameof(tensor));
        TensorChecks.Root(root, WorldSize);
        var p = (void*)TensorMemory.Address(tensor);
        lock (gate)
        {
            ThrowIfDisposed();
            nccl.Check(nccl.Broadcast(p, p, (nuint)TensorMemory.ByteCount(tensor), NcclLibrary.Uint8, root, comm, Stream), "ncclBroadcast", comm);
        }
    }

    /// <summary>Waits for this rank's queued GPU work, then for every rank.</summary>
    public void Barrier()
    {
        torch.cuda.synchronize();
        bootstrap.Barrier();
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            torch.cuda.synchronize();
            nccl.Check(nccl.CommDestroy(comm), "ncclCommDestroy");
        }
        bootstrap.Dispose();
    }

    void CheckCuda(torch.Tensor t, string name)
    {
        if (t.device_type != DeviceType.CUDA)
            throw new ArgumentException($"NCCL collectives need CUDA (or CPU) tensors; got a tensor on {t.device}", name);
        if (t.device_index != device)
            throw new ArgumentException($"the NCCL communicator is on cuda:{device} but the tensor is on {t.device}", name);
        if (!t.is_contiguous())
            throw new ArgumentException("NCCL collectives need contiguous tensors (call .contiguous() first)", name);
    }

    void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(disposed, this);
}
