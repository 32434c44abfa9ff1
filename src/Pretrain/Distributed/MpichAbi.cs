namespace Pretrain.Distributed;

/// <summary>
/// The MPICH ABI (MPICH's libmpich.so.12 / libmpi.so.12, Intel MPI, Cray MPICH, MVAPICH): handles are
/// 32-bit integer constants from mpi.h, MPI_IN_PLACE is (void*)-1 and MPI_COMM_TYPE_SHARED is 1.
/// The values were checked against MPICH 4.0.2's mpi.h.
/// </summary>
internal sealed unsafe class MpichAbi : MpiAbi
{
    /// <summary>mpi.h defines MPI_DUP_FN as MPIR_Dup_fn, so every library built for this ABI exports it.</summary>
    public const string MarkerExport = "MPIR_Dup_fn";

    const int CommWorld = 0x44000000;
    const int FloatType = 0x4c00040a;
    const int ByteType = 0x4c00010d;
    const int Sum = 0x58000003;
    const int InfoNull = 0x1c000000;
    const int CommTypeShared = 1;
    static readonly void* InPlace = (void*)-1;

    readonly delegate* unmanaged<int, int*, int> commRank, commSize;
    readonly delegate* unmanaged<int, int, int, int, int*, int> commSplitType;
    readonly delegate* unmanaged<int*, int> commFree;
    readonly delegate* unmanaged<void*, void*, int, int, int, int, int> allreduce;
    readonly delegate* unmanaged<void*, int, int, void*, int, int, int, int> allgather;
    readonly delegate* unmanaged<void*, int, int, int, int, int> bcast;
    readonly delegate* unmanaged<int, int> barrier;

    public MpichAbi(nint library, string path) : base(library, path)
    {
        commRank = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_rank");
        commSize = (delegate* unmanaged<int, int*, int>)Export("MPI_Comm_size");
        commSplitType = (delegate* unmanaged<int, int, int, int, int*, int>)Export("MPI_Comm_split_type");
        commFree = (delegate* unmanaged<int*, int>)Export("MPI_Comm_free");
        allreduce = (delegate* unmanaged<void*, void*, int, int, int, int, int>)Export("MPI_Allreduce");
        allgather = (delegate* unmanaged<void*, int, int, void*, int, int, int, int>)Export("MPI_Allgather");
        bcast = (delegate* unmanaged<void*, int, int, int, int, int>)Export("MPI_Bcast");
        barrier = (delegate* unmanaged<int, int>)Export("MPI_Barrier");
    }

    public override string Family => "MPICH";
    public override nint World => CommWorld;

    public override int CommRank(nint comm) { int r; Check(commRank((int)comm, &r), "MPI_Comm_rank"); return r; }
    public override int CommSize(nint comm) { int s; Check(commSize((int)comm, &s), "MPI_Comm_size"); return s; }

    public override nint SplitShared(nint comm)
    {
        int local;
        Check(commSplitType((int)comm, CommTypeShared, 0, InfoNull, &local), "MPI_Comm_split_type");
        return local;
    }

    public override void CommFree(nint comm) { int c = (int)comm; Check(commFree(&c), "MPI_Comm_free"); }

    public override void AllReduceSumFloat(float* buffer, int count, nint comm)
        => Check(allreduce(InPlace, buffer, count, FloatType, Sum, (int)comm), "MPI_Allreduce");

    public override void AllGatherFloat(float* send, int count, float* receive, nint comm)
        => Check(allgather(send, count, FloatType, receive, count, FloatType, (int)comm), "MPI_Allgather");

    public override void BroadcastBytes(void* buffer, int count, int root, nint comm)
        => Check(bcast(buffer, count, ByteType, root, (int)comm), "MPI_Bcast");

    public override void Barrier(nint comm) => Check(barrier((int)comm), "MPI_Barrier");
}
