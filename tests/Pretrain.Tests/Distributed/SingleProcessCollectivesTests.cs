using Pretrain.Distributed;
using TorchSharp;
using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>A world of one: every collective is the identity, and misuse is still rejected.</summary>
public class SingleProcessCollectivesTests
{
    readonly SingleProcessCollectives c = new();

    [Fact]
    public void IdentityOfAWorldOfOne()
    {
        Assert.Equal((0, 1, 0, 1, "single"), (c.Rank, c.WorldSize, c.LocalRank, c.LocalWorldSize, c.Name));
    }

    [Fact]
    public void AllReduceSumAndAverageLeaveTheTensorAsItIs()
    {
        using var t = torch.tensor(new[] { 1.5f, -2f, 3.25f });
        c.AllReduce(t, ReduceOp.Sum);
        Assert.Equal([1.5f, -2f, 3.25f], t.data<float>().ToArray());
        c.AllReduce(t, ReduceOp.Average);
        Assert.Equal([1.5f, -2f, 3.25f], t.data<float>().ToArray());
    }

    [Fact]
    public void AllGatherOfOneRankIsACopyOfTheTensor()
    {
        using var local = torch.arange(6, torch.float32).reshape(2, 3);
        using var g = c.AllGather(local);
        Assert.Equal([2L, 3L], g.shape);
        Assert.Equal(local.data<float>().ToArray(), g.data<float>().ToArray());
        g.fill_(-1f);
        Assert.Equal(5f, local[1, 2].item<float>()); // a copy, not the input

        using var scalar = torch.tensor(4.5f);
        using var gs = c.AllGather(scalar);
        Assert.Equal([1L], gs.shape);
        Assert.Equal(4.5f, gs[0].item<float>());
    }

    [Fact]
    public void BroadcastKeepsAnyDtypeAndChecksTheRoot()
    {
        using var t = torch.tensor(new long[] { 7, 8 });
        c.Broadcast(t, 0);
        Assert.Equal([7L, 8L], t.data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => c.Broadcast(t, 1));
        c.Barrier();
    }

    [Fact]
    public void OnlyFloat32IsReducedOrGathered()
    {
        using var d = torch.ones(3, torch.float64);
        Assert.Throws<ArgumentException>(() => c.AllReduce(d, ReduceOp.Sum));
        Assert.Throws<ArgumentException>(() => c.AllGather(d));
    }

    [Fact]
    public void CoalescedAllReduceWritesBackIntoEachTensorsShape()
    {
        using var a = torch.arange(4, torch.float32).reshape(2, 2);
        using var b = torch.tensor(new[] { 9f, 8f, 7f });
        c.AllReduceCoalesced([a, b], ReduceOp.Average);
        Assert.Equal([0f, 1f, 2f, 3f], a.data<float>().ToArray());
        Assert.Equal([2L, 2L], a.shape);
        Assert.Equal([9f, 8f, 7f], b.data<float>().ToArray());
    }

    [Fact]
    public void FlatBufferViewsShareOneBufferAndAliasesDetectsReplacement()
    {
        using var p1 = torch.empty(2, 3);
        using var p2 = torch.empty(4);
        using var flat = FlatBuffer.ZerosLike([p1, p2]);
        Assert.Equal([10L], flat.Flat.shape);
        Assert.Equal([2L, 3L], flat.Views[0].shape);
        Assert.Equal([4L], flat.Views[1].shape);
        flat.Views[1].fill_(2f);
        flat.Views[0][1, 2] = torch.tensor(5f);
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 5f, 2f, 2f, 2f, 2f], flat.Flat.data<float>().ToArray());

        Assert.True(flat.Aliases(1, flat.Views[1]));
        using var replaced = flat.Views[1].clone();
        Assert.False(flat.Aliases(1, replaced));
        Assert.False(flat.Aliases(0, flat.Views[1]));
    }

    [Fact]
    public void FlatBufferRefusesMixedDtypes()
    {
        using var f = torch.empty(2);
        using var d = torch.empty(2, torch.float64);
        Assert.Throws<ArgumentException>(() => FlatBuffer.ZerosLike([f, d]));
    }
}
