namespace Pretrain.Distributed;

/// <summary>How <see cref="ICollectives.AllReduce"/> combines the ranks' values.</summary>
public enum ReduceOp
{
    /// <summary>Element-wise sum over the ranks.</summary>
    Sum,

    /// <summary>Element-wise mean over the ranks: the sum divided by the world size (gradient averaging).</summary>
    Average,
}
