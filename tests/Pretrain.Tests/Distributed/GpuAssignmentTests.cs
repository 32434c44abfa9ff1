using Pretrain.Config;
using Pretrain.Distributed;
using Xunit;

namespace Pretrain.Tests.Distributed;

public class GpuAssignmentTests
{
    [Theory]
    [InlineData(null, 0, 2, "0")]        // unset: the local rank's own device
    [InlineData("", 3, 4, "3")]
    [InlineData("0,1,2,3", 2, 4, "2")]   // srun --gres=gpu:4 gives every task the whole list
    [InlineData("4, 5", 1, 2, "5")]
    [InlineData("GPU-3f2a", 1, 2, null)] // one entry (srun --gpus-per-task=1): already this rank's GPU
    [InlineData("7", 0, 1, null)]
    public void EachLocalRankGetsOneGpu(string? current, int localRank, int localWorld, string? expected)
        => Assert.Equal(expected, GpuAssignment.VisibleDevicesFor(current, localRank, localWorld));

    [Fact]
    public void MoreRanksThanListedGpusIsAUserError()
    {
        var e = Assert.Throws<UserInputException>(() => GpuAssignment.VisibleDevicesFor("0,1", 2, 4));
        Assert.Contains("CUDA_VISIBLE_DEVICES=0,1 lists 2 GPUs but this is local rank 2 of 4", e.Message);
    }
}
