using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// The few collective operations data-parallel training needs, over one world of processes. Every rank
/// must call the same operations in the same order with tensors of the same shape and dtype; a rank
/// that skips one makes the others wait (MPI and NCCL do not check this).
/// Implementations: <see cref="SingleProcessCollectives"/> (the default), <see cref="MpiCollectives"/>
/// (CPU tensors) and <see cref="NcclCollectives"/> (CUDA tensors). <see cref="Collectives.Create"/>
/// picks one from how the process was launched.
/// </summary>
public interface ICollectives : IDisposable
{
    /// <summary>This process's rank in the world, 0 ≤ Rank &lt; WorldSize.</summary>
    int Rank { get; }

    int WorldSize { get; }

    /// <summary>This process's rank among the processes on the same machine (selects the GPU, sizes threads).</summary>
    int LocalRank { get; }

    int LocalWorldSize { get; }

    /// <summary>What carries the data, for logs: "single", "Open MPI 4.1.4", "MPICH 4.0.2", "NCCL 2.21.5".</summary>
    string Name { get; }

    /// <summary>Combines a float32 tensor across the ranks, in place: afterwards every rank holds the result.</summary>
    void AllReduce(torch.Tensor tensor, ReduceOp op);

    /// <summary>A new tensor holding every rank's float32 tensor concatenated along dim 0 in rank order
    /// (a 0-dim tensor counts as one row). All ranks must pass the same shape.</summary>
    torch.Tensor AllGather(torch.Tensor local);

    /// <summary>Overwrites the tensor on every rank with root's, in place. Any dtype: the bytes are copied.</summary>
    void Broadcast(torch.Tensor tensor, int root);

    /// <summary>Returns on each rank only when every rank has called it.</summary>
    void Barrier();
}
