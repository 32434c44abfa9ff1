namespace Pretrain.Distributed;

/// <summary>
/// Open MPI's ABI (libmpi.so.40): a handle is the address of an exported global object
/// (MPI_COMM_WORLD is &amp;ompi_mpi_comm_world), MPI_IN_PLACE is (void*)1 and MPI_COMM_TYPE_SHARED is 0.
/// </summary>
internal sealed unsafe class OpenMpiAbi : MpiAbi
{
    /// <summary>Only Open MPI exports its predefined communicator as a symbol, so its presence identifies the ABI.</summary>
    public const string MarkerExport = "ompi_mpi_comm_world";

    static readonly void* InPlace = (void*)1;
    const int CommTypeShared = 0;

    readonly nint world, floatType, byteType, sum, infoNull;
    readonly delegate* unmanaged<nint, int*, int> commRank, commSize;
    readonly delegate* unmanaged<nint, int, int, nint, nint*, int> commSplitType;
    readonly delegate* unmanaged<nint*, int> commFree;
    readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> allreduce;
    readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> allgather;
    readonly delegate* unmanaged<void*, int, nint, int, nint, int> bcast;
    readonly delegate* unmanaged<nint, int> barrier;

    public OpenMpiAbi(nint library, string path) : base(library, path)
    {
        world = Export(MarkerExport);
        floatType = Export("ompi_mpi_float");
        byteType = Export("ompi_mpi_byte");
        sum = Export("ompi_mpi_op_sum");
        infoNull = Export("ompi_mpi_info_null");
        commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        commSplitType = (delegate* unmanaged<nint, int, int, nint, nint*, int>)Export("MPI_Comm_split_type");
        commFree = (delegate* unmanaged<nint*, int>)Export("MPI_Comm_free");
        allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export("MPI_Allgather");
        bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
    }

    public override string Family => "Open MPI";
    public override nint World => world;

    public override int CommRank(nint comm) { int r; Check(commRank(comm, &r), "MPI_Comm_rank"); return r; }
    public override int CommSize(nint comm) { int s; Check(commSize(comm, &s), "MPI_Comm_size"); return s; }

    public override nint SplitShared(nint comm)
    {
        nint local;
        Check(commSplitType(comm, CommTypeShared, 0, infoNull, &local), "MPI_Comm_split_type");
        return local;
    }

    public override void CommFree(nint comm) => Check(commFree(&comm), "MPI_Comm_free");

    public override void AllReduceSumFloat(float* buffer, int count, nint comm)
        => Check(allreduce(InPlace, buffer, count, floatType, sum, comm), "MPI_Allreduce");

    public override void AllGatherFloat(float* send, int count, float* receive, nint comm)
        => Check(allgather(send, count, floatType, receive, count, floatType, comm), "MPI_Allgather");

    public override void BroadcastBytes(void* buffer, int count, int root, nint comm)
        => Check(bcast(buffer, count, byteType, root, comm), "MPI_Bcast");

    public override void Barrier(nint comm) => Check(barrier(comm), "MPI_Barrier");
}
