using Pretrain.Distributed;
using Xunit;

namespace Pretrain.Tests.Distributed;

public class TorchThreadsTests
{
    [Theory]
    [InlineData(16, 1, 2, 14)]   // one rank: cores minus its loader workers, the single-process rule
    [InlineData(16, 2, 2, 6)]    // (16 − 2·2) / 2
    [InlineData(16, 4, 0, 4)]
    [InlineData(64, 8, 3, 5)]    // (64 − 24) / 8
    [InlineData(2, 2, 0, 1)]     // this 2-core box under mpirun -np 2
    [InlineData(2, 2, 1, 1)]     // nothing left: still one thread
    [InlineData(4, 8, 0, 1)]     // more ranks than cores
    public void FreeCoresAreSplitAmongLocalRanksAndNeverBelowOne(int cores, int ranks, int workers, int expected)
        => Assert.Equal(expected, TorchThreads.PerRank(cores, ranks, workers));

    [Fact]
    public void NonsenseArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.PerRank(0, 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.PerRank(4, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.PerRank(4, 1, -1));
    }
}
