namespace Pretrain.Distributed;

/// <summary>
/// Torch intra-op threads per rank. MPI waits busy-poll and libtorch's OpenMP threads spin, so ranks
/// sharing a machine must split its cores rather than each taking all of them (oversubscribed, a step
/// runs several times slower).
/// </summary>
public static class TorchThreads
{
    /// <summary>
    /// The cores left after every local rank's loader workers, shared among the local ranks; at least 1.
    /// With one rank this is cores − loaderWorkers, the single-process rule.
    /// </summary>
    /// <param name="cores">Cores on the machine (Environment.ProcessorCount).</param>
    /// <param name="localWorldSize">Ranks on this machine.</param>
    /// <param name="loaderWorkers">Data-loader threads of each rank.</param>
    public static int PerRank(int cores, int localWorldSize, int loaderWorkers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(localWorldSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(loaderWorkers);
        long free = (long)cores - (long)localWorldSize * loaderWorkers;
        return (int)Math.Max(1, free / localWorldSize);
    }
}
