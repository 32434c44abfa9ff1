using Pretrain.Distributed;
using Pretrain.Methods.Losses;
using Pretrain.Models;
using Pretrain.Config;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Distributed;

/// <summary>
/// The data-parallel arithmetic of the layers and losses, checked in one process: a stand-in world in
/// which every rank holds the same rows (so sums across ranks are W·local) tests SyncBatchNorm's
/// forward, backward and running statistics against torch's BatchNorm; a rank's rows of the drop-path
/// masks and of the losses are checked against what one process computes for the global batch.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class SyncLayersTests
{
    /// <summary>World W in which every rank holds this rank's tensors: all-reduce sums multiply by W,
    /// all-gather repeats.</summary>
    sealed class MirroredWorld(int rank, int world) : ICollectives
    {
        public int Rank => rank;
        public int WorldSize => world;
        public int LocalRank => rank;
        public int LocalWorldSize => world;
        public string Name => "mirrored";
        public void AllReduce(Tensor t, ReduceOp op) { if (op == ReduceOp.Sum) t.mul_(world); }
        public Tensor AllGather(Tensor local) => cat(Enumerable.Repeat(local, world).ToArray());
        public void Broadcast(Tensor t, int root) { }
        public void Barrier() { }
        public void Dispose() { }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    [InlineData(3, true)]
    public void SyncBatchNormIsBatchNormOverTheRowsOfEveryRank(int chunks, bool channelsLast)
    {
        // Two ranks holding the same rows x: one process's BatchNorm over [x; x] (per chunk) is the reference.
        manual_seed(5);
        int n = 4;
        var x = randn(n * chunks, 3, 5, 5);
        if (channelsLast) x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var g = randn_like(x);
        Tensor Twice(Tensor t) => cat(Enumerable.Range(0, chunks).SelectMany(c => new[] { t.narrow(0, c * n, n), t.narrow(0, c * n, n) }).ToArray());
        using var reference = new ChunkedBatchNorm(3);
        using var synced = new ChunkedBatchNorm(3);
        using (no_grad())
        {
            reference.Weight!.copy_(randn(3));
            reference.Bias!.copy_(randn(3));
            synced.Weight!.copy_(reference.Weight);
            synced.Bias!.copy_(reference.Bias);
        }
        var xx = Twice(x).requires_grad_();
        Tensor yy;
        using (BatchLayout.Scope(reference, chunks)) yy = reference.forward(xx);
        (yy * Twice(g)).sum().backward();

        var xs = x.clone().requires_grad_();
        Tensor y;
        using (BatchLayout.Scope(synced, chunks, new DataParallel(new MirroredWorld(0, 2)))) y = synced.forward(xs);
        (y * g).sum().backward();

        Assert.Equal(channelsLast ? 1L : 25L, y.stride(1));   // the layout survives: no copies to NCHW
        var firstCopy = cat(Enumerable.Range(0, chunks).Select(c => yy.narrow(0, 2 * c * n, n)).ToArray());
        Assert.True(firstCopy.allclose(y, 1e-5, 1e-5), "forward");
        // The input gradient is that of the sum of both ranks' losses (torch's SyncBatchNorm backward)...
        var firstGrad = cat(Enumerable.Range(0, chunks).Select(c => xx.grad!.narrow(0, 2 * c * n, n)).ToArray());
        Assert.True(firstGrad.allclose(xs.grad!, 1e-4, 1e-5), "input gradient");
        // ...the affine gradients are this rank's share (the gradient all-reduce adds the other's).
        Assert.True((reference.Weight!.grad! / 2).allclose(synced.Weight!.grad!, 1e-4, 1e-5), "weight gradient");
        Assert.True((reference.Bias!.grad! / 2).allclose(synced.Bias!.grad!, 1e-4, 1e-5), "bias gradient");
        // Running statistics advance with the global batch's mean and unbiased variance.
        Assert.True(reference.RunningMean.allclose(synced.RunningMean, 1e-5, 1e-6), "running mean");
        Assert.True(reference.RunningVar.allclose(synced.RunningVar, 1e-5, 1e-6), "running variance");
        Assert.Equal(reference.NumBatchesTracked.item<long>(), synced.NumBatchesTracked.item<long>());
    }

    [Fact]
    public void EachRankTakesItsRowsOfTheGlobalDropPathMasks()
    {
        using var drop = new DropPath(0.5);
        drop.train();
        var x = ones(2 * 8, 4);   // 2 chunks of the global batch 8 = 2 ranks x 4
        manual_seed(11);
        var global = drop.forward(x);
        for (int rank = 0; rank < 2; rank++)
        {
            var dp = new DataParallel(new MirroredWorld(rank, 2));
            manual_seed(11);
            Tensor local;
            using (BatchLayout.Scope(drop, 2, dp)) local = drop.forward(ones(2 * 4, 4));
            var expected = cat([global.narrow(0, rank * 4, 4), global.narrow(0, 8 + rank * 4, 4)]);
            Assert.True(expected.equal(local).all().item<bool>(), $"rank {rank}");
        }
    }

    [Fact]
    public void ARanksRowsOfTheLossesEqualTheGlobalBatchsRows()
    {
        manual_seed(3);
        int n = 3, world = 2, big = n * world;
        var q = randn(big, 8);
        var k = randn(big, 8);
        var km = randn(big, 8);
        var lambda = rand(big);
        var moco = MocoLoss.PerSample(q, k, 0.2);
        var source = SdmpLoss.Source(q, k, lambda, 0.2, SdmpTarget.ProbMix);
        var mix = SdmpLoss.Mix(q, km, lambda, 0.2, SdmpTarget.SoftCe);
        var teacher = randn(big, 16);
        var teacherMix = randn(big, 16);
        var student = randn(big, 16);
        var center = zeros(1, 16);
        var (dSource, dMix) = SdmpDinoLoss.Compute(teacher, teacherMix, student, center, lambda, 0.1, 0.04);
        Tensor mocoMean = zeros(1), sourceMean = zeros(1), mixMean = zeros(1), dinoSource = zeros(1), dinoMix = zeros(1);
        for (int r = 0; r < world; r++)
        {
            var rows = new QueryRows(r * n, big, LocalPartners: false);
            var local = q.narrow(0, r * n, n);
            Assert.True(moco.narrow(0, r * n, n).allclose(MocoLoss.PerSample(local, k, 0.2, r * n)), $"moco rank {r}");
            sourceMean += SdmpLoss.Source(local, k, lambda, 0.2, SdmpTarget.ProbMix, rows) / world;
            mixMean += SdmpLoss.Mix(local, km, lambda, 0.2, SdmpTarget.SoftCe, rows) / world;
            var (s, m) = SdmpDinoLoss.Compute(teacher, teacherMix, student.narrow(0, r * n, n), center, lambda, 0.1, 0.04, rows);
            dinoSource += s / world;
            dinoMix += m / world;
        }
        Assert.True(source.allclose(sourceMean.squeeze(), 1e-5, 1e-6), "sdmp source");
        Assert.True(mix.allclose(mixMean.squeeze(), 1e-5, 1e-6), "sdmp mix");
        Assert.True(dSource.allclose(dinoSource.squeeze(), 1e-5, 1e-6), "dino source");
        Assert.True(dMix.allclose(dinoMix.squeeze(), 1e-5, 1e-6), "dino mix");
    }

    [Fact]
    public void LocalPartnersAreTheMirrorRowsOfTheRanksOwnBlock()
    {
        var rows = new QueryRows(6, 12, LocalPartners: true);
        Assert.Equal([6L, 7, 8], rows.Own(3, CPU).data<long>().ToArray());
        Assert.Equal([8L, 7, 6], rows.Partners(3, CPU).data<long>().ToArray());
        var global = new QueryRows(6, 12, LocalPartners: false);
        Assert.Equal([5L, 4, 3], global.Partners(3, CPU).data<long>().ToArray());
        Assert.Equal([2L, 1, 0], QueryRows.All(3).Partners(3, CPU).data<long>().ToArray());
    }
}
