using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

internal static class TensorAssert
{
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        Assert.Equal(a.shape, b.shape);
        using var d = (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max();
        return d.item<double>();
    }

    public static void Close(Tensor expected, Tensor actual, double atol, string what = "")
    {
        double diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= atol, $"{what}: max |diff| {diff:E3} > {atol:E1}");
    }
}
