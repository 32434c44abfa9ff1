using Pretrain.Models;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class ChunkedBatchNormTests
{
    /// <summary>Runs the reference BatchNorm once per chunk, as the trainer would without concatenation.</summary>
    private static Tensor SeparateCalls(nn.Module<Tensor, Tensor> reference, Tensor x, int chunks) =>
        cat(x.chunk(chunks, 0).Select(reference.forward).ToArray(), 0);

    private static void CheckEquivalence(ChunkedBatchNorm chunked, nn.Module<Tensor, Tensor> reference,
        Parameter? refWeight, Parameter? refBias, Tensor refMean, Tensor refVar, long[] shape, int chunks)
    {
        manual_seed(7);
        var x = randn(shape).mul(2).add(0.5);
        var upstream = randn(shape);
        if (chunked.Affine)
        {
            using (no_grad())
            {
                chunked.Weight!.copy_(rand(chunked.NumFeatures).add(0.5));
                chunked.Bias!.copy_(randn(chunked.NumFeatures));
                refWeight!.copy_(chunked.Weight);
                refBias!.copy_(chunked.Bias);
            }
        }
        chunked.train();
        reference.train();

        // Two steps, so the second starts from non-trivial running statistics.
        for (int step = 0; step < 2; step++)
        {
            var xa = x.add(step).detach().requires_grad_(true);
            var xb = x.add(step).detach().requires_grad_(true);
            Tensor ya;
            using (BatchLayout.Scope(chunked, chunks)) ya = chunked.forward(xa);
            var yb = SeparateCalls(reference, xb, chunks);
            TensorAssert.Close(yb, ya, 1e-5, "output");

            ya.mul(upstream).sum().backward();
            yb.mul(upstream).sum().backward();
            TensorAssert.Close(xb.grad!, xa.grad!, 1e-5, "grad input");
            if (chunked.Affine)
            {
                TensorAssert.Close(refWeight!.grad!, chunked.Weight!.grad!, 1e-5, "grad weight");
                TensorAssert.Close(refBias!.grad!, chunked.Bias!.grad!, 1e-5, "grad bias");
            }
            TensorAssert.Close(refMean, chunked.RunningMean, 1e-5, "running mean");
            TensorAssert.Close(refVar, chunked.RunningVar, 1e-5, "running var");
        }
        Assert.Equal(2L * chunks, chunked.NumBatchesTracked.item<long>());
        Assert.Equal(1, chunked.Chunks);

        chunked.eval();
        reference.eval();
        TensorAssert.Close(reference.forward(x), chunked.forward(x), 1e-5, "eval output");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChunksAreBitIdenticalToSeparateNativeCallsInEitherMemoryFormat(bool channelsLast)
    {
        // Each chunk goes through the same native kernel as a separate call would, so output and input
        // gradient agree to the bit; channels-last inputs keep their layout (channel stride 1).
        manual_seed(11);
        var chunked = new ChunkedBatchNorm(6);
        var reference = nn.BatchNorm2d(6);
        using (no_grad())
        {
            chunked.Weight!.copy_(rand(6).add(0.5));
            chunked.Bias!.copy_(randn(6));
            reference.weight!.copy_(chunked.Weight);
            reference.bias!.copy_(chunked.Bias);
        }
        var x = randn(9, 6, 5, 7).mul(2).add(0.5);
        if (channelsLast) x = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        var upstream = randn(9, 6, 5, 7);
        var xa = x.detach().requires_grad_(true);
        var xb = x.detach().requires_grad_(true);
        Tensor ya;
        using (BatchLayout.Scope(chunked, 3)) ya = chunked.forward(xa);
        var yb = SeparateCalls(reference, xb, 3);
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(yb, ya));
        Assert.Equal(channelsLast ? 1L : 35L, ya.stride(1));
        ya.mul(upstream).sum().backward();
        yb.mul(upstream).sum().backward();
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(xb.grad!, xa.grad!));
        TensorAssert.Close(reference.weight!.grad!, chunked.Weight!.grad!, 1e-5, "grad weight");
    }

    [Fact]
    public void TwoDimensionalChunksMatchSeparateBatchNorm2dCalls()
    {
        var reference = nn.BatchNorm2d(3);
        CheckEquivalence(new ChunkedBatchNorm(3), reference, reference.weight, reference.bias,
            reference.running_mean!, reference.running_var!, [6, 3, 4, 5], 3);
    }

    [Fact]
    public void OneDimensionalChunksMatchSeparateBatchNorm1dCalls()
    {
        var reference = nn.BatchNorm1d(5);
        CheckEquivalence(new ChunkedBatchNorm(5), reference, reference.weight, reference.bias,
            reference.running_mean!, reference.running_var!, [8, 5], 4);
    }

    [Fact]
    public void NonAffineChunksMatchSeparateCalls()
    {
        var reference = nn.BatchNorm1d(4, affine: false);
        var chunked = new ChunkedBatchNorm(4, affine: false);
        Assert.Empty(chunked.parameters());
        CheckEquivalence(chunked, reference, null, null, reference.running_mean!, reference.running_var!, [6, 4], 2);
    }

    [Fact]
    public void SingleChunkMatchesOneBatchNormCall()
    {
        var reference = nn.BatchNorm2d(2);
        CheckEquivalence(new ChunkedBatchNorm(2), reference, reference.weight, reference.bias,
            reference.running_mean!, reference.running_var!, [4, 2, 3, 3], 1);
    }

    [Fact]
    public void ScopeSetsEveryLayerAndRestoresPreviousCounts()
    {
        var head = new MocoMlp(3, 4, 8, 4, lastBn: true);
        var norms = head.modules().OfType<ChunkedBatchNorm>().ToList();
        Assert.Equal(3, norms.Count);
        using (BatchLayout.Scope(head, 4))
            Assert.All(norms, n => Assert.Equal(4, n.Chunks));
        Assert.All(norms, n => Assert.Equal(1, n.Chunks));
    }

    [Fact]
    public void BatchNotDivisibleByChunksIsRejected()
    {
        var bn = new ChunkedBatchNorm(3) { Chunks = 4 };
        Assert.Throws<ArgumentException>(() => bn.forward(randn(6, 3)));
    }
}
