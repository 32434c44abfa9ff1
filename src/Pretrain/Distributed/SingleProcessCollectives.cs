using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// A world of one process: every collective is the identity. The default when no MPI launcher started
/// the process, so single-process training takes the same code path as distributed training.
/// Arguments are still checked the way a real world would check them, so a bug shows up on one machine.
/// </summary>
public sealed class SingleProcessCollectives : ICollectives
{
    public int Rank => 0;
    public int WorldSize => 1;
    public int LocalRank => 0;
    public int LocalWorldSize => 1;
    public string Name => "single";

    /// <summary>The sum and the mean over one rank are the tensor itself, so nothing changes.</summary>
    public void AllReduce(torch.Tensor tensor, ReduceOp op) => TensorChecks.Float32(tensor, nameof(tensor));

    /// <summary>A copy of the tensor (shaped as the concatenation of one rank's rows), so callers may
    /// change the result without touching the input, as with a real world.</summary>
    public torch.Tensor AllGather(torch.Tensor local)
    {
        TensorChecks.Float32(local, nameof(local));
        return local.reshape(TensorChecks.GatheredShape(local, 1)).clone();
    }

    public void Broadcast(torch.Tensor tensor, int root)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TensorChecks.Root(root, 1);
    }

    public void Barrier() { }

    public void Dispose() { }
}
