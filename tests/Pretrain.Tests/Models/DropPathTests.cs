using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class DropPathTests
{
    [Fact]
    public void EvalModeIsTheIdentity()
    {
        var dp = new DropPath(0.5);
        dp.eval();
        var x = randn(8, 3, 2);
        TensorAssert.Close(x, dp.forward(x), 0, "eval");
    }

    [Fact]
    public void TrainModeDropsWholeSamplesAndRescalesTheRest()
    {
        manual_seed(11);
        var dp = new DropPath(0.25);
        dp.train();
        var y = dp.forward(ones(2000, 3, 2));
        var perSampleMin = y.reshape(2000, 6).amin([1]);
        var perSampleMax = y.reshape(2000, 6).amax([1]);
        TensorAssert.Close(perSampleMin, perSampleMax, 0, "samples are dropped whole");
        var kept = perSampleMax.gt(0);
        TensorAssert.Close(full(kept.sum().item<long>(), 1 / 0.75f), perSampleMax.masked_select(kept), 1e-6, "kept scale");
        double dropped = 1.0 - kept.to(ScalarType.Float64).mean().item<double>();
        Assert.InRange(dropped, 0.22, 0.28);
    }

    [Fact]
    public void ZeroRateIsTheIdentityInTraining()
    {
        var dp = new DropPath(0.0);
        dp.train();
        var x = randn(4, 5);
        TensorAssert.Close(x, dp.forward(x), 0, "rate 0");
    }
}
