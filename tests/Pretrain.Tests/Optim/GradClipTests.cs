using Pretrain.Optim;
using TorchSharp;
using Xunit;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Pretrain.Tests.Optim;

public class GradClipTests
{
    private static Parameter WithGrad(double[] grad)
    {
        var p = new Parameter(torch.zeros(grad.Length, dtype: ScalarType.Float64));
        p.grad = torch.tensor(grad, dtype: ScalarType.Float64);
        return p;
    }

    private static double[] Grad(Parameter p) => p.grad!.data<double>().ToArray();

    [Fact]
    public void PerParameterScalesOnlyGradientsAboveTheLimit()
    {
        var big = WithGrad([3, 4]);        // norm 5
        var small = WithGrad([0.3, 0.4]);  // norm 0.5
        var none = new Parameter(torch.zeros(2, dtype: ScalarType.Float64));
        GradClip.PerParameter([big, small, none], 1.0);
        double coef = 1.0 / (5 + 1e-6);
        Assert.Equal(3 * coef, Grad(big)[0], 1e-12);
        Assert.Equal(4 * coef, Grad(big)[1], 1e-12);
        Assert.Equal(new double[] { 0.3, 0.4 }, Grad(small));
        Assert.Null(none.grad);
    }

    [Fact]
    public void GlobalScalesAllGradientsByTheTotalNorm()
    {
        var a = WithGrad([3, 4]);
        var b = WithGrad([0, 12]);         // total norm sqrt(25 + 144) = 13
        using var total = GradClip.Global([a, b], 6.5);
        Assert.Equal(13.0, total.item<double>(), 1e-12);
        double coef = 6.5 / (13 + 1e-6);
        Assert.Equal(3 * coef, Grad(a)[0], 1e-12);
        Assert.Equal(12 * coef, Grad(b)[1], 1e-12);

        var c = WithGrad([0.6, 0.8]);
        using var small = GradClip.Global([c], 6.5);
        Assert.Equal(new double[] { 0.6, 0.8 }, Grad(c));

        using var nothing = GradClip.Global([new Parameter(torch.zeros(2))], 1.0);
        Assert.Equal(0L, nothing.ndim);
        Assert.Equal(0.0f, nothing.item<float>());
    }
}
