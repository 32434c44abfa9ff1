namespace Pretrain.Distributed;

/// <summary>
/// One GPU per local rank, chosen through CUDA_VISIBLE_DEVICES so that every rank's GPU is its device 0:
/// TorchSharp has no cudaSetDevice, and NCCL binds a communicator to the current device (device 0).
/// It must be set before the process's first CUDA call.
/// </summary>
public static class GpuAssignment
{
    public const string Variable = "CUDA_VISIBLE_DEVICES";

    /// <summary>
    /// The CUDA_VISIBLE_DEVICES value for this rank, or null to leave it as it is. Unset: the local rank's
    /// index. A list (srun --gres=gpu:4 gives every task "0,1,2,3"): the local rank's entry. A single entry
    /// (srun --gpus-per-task=1): already one GPU per rank.
    /// </summary>
    public static string? VisibleDevicesFor(string? current, int localRank, int localWorldSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localRank);
        ArgumentOutOfRangeException.ThrowIfLessThan(localWorldSize, 1);
        if (string.IsNullOrWhiteSpace(current)) return localRank.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var entries = current.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length <= 1) return null;
        if (localRank >= entries.Length)
            throw new Config.UserInputException(
                $"{Variable}={current} lists {entries.Length} GPUs but this is local rank {localRank} of {localWorldSize}: start at most one rank per GPU");
        return entries[localRank];
    }

    /// <summary>Applies <see cref="VisibleDevicesFor"/> to this process's C environment.</summary>
    public static void Apply(int localRank, int localWorldSize)
    {
        var value = VisibleDevicesFor(LibcEnvironment.Get(Variable), localRank, localWorldSize);
        if (value is not null) LibcEnvironment.Set(Variable, value);
    }
}
