using Pretrain.Config;
using Pretrain.Models;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class HeadTests
{
    [Fact]
    public void MocoMlpHasBiasFreeLinearsAndANonAffineLastBn()
    {
        var mlp = new MocoMlp(3, 16, 32, 8, lastBn: true);
        var kinds = mlp.Layers.Select(l => l.GetType().Name).ToArray();
        Assert.Equal(new[] { "Linear", "ChunkedBatchNorm", "ReLU", "Linear", "ChunkedBatchNorm", "ReLU", "Linear", "ChunkedBatchNorm" }, kinds);
        Assert.All(mlp.Layers.OfType<Linear>(), l => Assert.Null(l.bias));
        var norms = mlp.Layers.OfType<ChunkedBatchNorm>().ToArray();
        Assert.True(norms[0].Affine);
        Assert.False(norms[^1].Affine);
        Assert.Equal(new long[] { 32, 16 }, mlp.Layers.OfType<Linear>().First().weight!.shape);
        Assert.Equal(new long[] { 8, 32 }, mlp.Layers.OfType<Linear>().Last().weight!.shape);
        mlp.train();
        Assert.Equal(new long[] { 6, 8 }, mlp.forward(randn(6, 16)).shape);
    }

    [Fact]
    public void MocoPresetsFollowTheConfig()
    {
        var cfg = new MocoConfig { ProjLayers = 2, HiddenDim = 12, OutDim = 6, PredLayers = 2, PredLastBn = false };
        var proj = MocoMlp.Projector(cfg, 10);
        Assert.Equal("ChunkedBatchNorm", proj.Layers[^1].GetType().Name);
        Assert.Equal(5, proj.Layers.Count);
        var pred = MocoMlp.Predictor(cfg);
        Assert.IsType<Linear>(pred.Layers[^1]);
        Assert.Equal(6, pred.InDim);
        Assert.Equal(6, pred.OutDim);
    }

    [Fact]
    public void WeightNormLinearStartsAtItsDirectionAndFollowsTheFormula()
    {
        manual_seed(9);
        var layer = new WeightNormLinear(5, 3);
        var v = layer.WeightV;
        TensorAssert.Close(v, layer.Weight(), 1e-6, "W = v at init");
        using (no_grad()) layer.WeightG.copy_(tensor(new float[] { 0.5f, 2f, -1f }).reshape(3, 1));
        var x = randn(4, 5);
        var expected = x.matmul(v.div(v.norm(1, keepdim: true)).mul(layer.WeightG).t());
        TensorAssert.Close(expected, layer.forward(x), 1e-6, "forward");
    }

    [Fact]
    public void WeightNormLinearGradientsMatchTheAnalyticForm()
    {
        manual_seed(10);
        var layer = new WeightNormLinear(4, 3);
        layer.to(ScalarType.Float64);
        using (no_grad()) layer.WeightG.copy_(tensor(new double[] { 0.7, -1.3, 2.0 }).reshape(3, 1));
        var x = randn(5, 4, dtype: ScalarType.Float64);
        var r = randn(5, 3, dtype: ScalarType.Float64);
        layer.forward(x).mul(r).sum().backward();

        var v = layer.WeightV.detach();
        var g = layer.WeightG.detach();
        var norm = v.norm(1, keepdim: true);
        var gradW = r.t().mm(x);                                  // dL/dW
        var along = gradW.mul(v).sum(1, keepdim: true).div(norm); // dL/dW · v/‖v‖
        var expectedGradG = along;
        var expectedGradV = g.div(norm).mul(gradW - along.mul(v).div(norm));
        TensorAssert.Close(expectedGradG, layer.WeightG.grad!, 1e-10, "grad g");
        TensorAssert.Close(expectedGradV, layer.WeightV.grad!, 1e-10, "grad v");
    }

    [Fact]
    public void DinoHeadNormalisesAndFreezesTheGainWhenAsked()
    {
        manual_seed(12);
        var head = new DinoHead(16, 40, hiddenDim: 32, bottleneckDim: 8, normLastLayer: true);
        Assert.False(head.LastLayer.WeightG.requires_grad);
        Assert.Equal(1.0f, head.LastLayer.WeightG.min().item<float>());
        Assert.Equal(1.0f, head.LastLayer.WeightG.max().item<float>());
        Assert.Equal(new[] { head.LastLayer.WeightV, head.LastLayer.WeightG }, head.LastLayerParameters);
        var y = head.forward(randn(6, 16));
        Assert.Equal(new long[] { 6, 40 }, y.shape);
        // Unit input times unit-norm rows: every logit is a cosine.
        Assert.True(y.abs().max().item<float>() <= 1.0f + 1e-5f);
        var trainable = new DinoHead(16, 40, 32, 8, normLastLayer: false);
        Assert.True(trainable.LastLayer.WeightG.requires_grad);
        Assert.Equal(1.0f, trainable.LastLayer.WeightG.min().item<float>());
    }

    [Fact]
    public void DinoHeadMlpIsTruncNormalWithZeroBiasAndOptionalBn()
    {
        manual_seed(13);
        var head = new DinoHead(64, 10, hiddenDim: 256, bottleneckDim: 32, useBn: true);
        var linears = head.modules().OfType<Linear>().ToArray();
        Assert.Equal(3, linears.Length);
        Assert.All(linears, l => Assert.Equal(0.0f, l.bias!.abs().max().item<float>()));
        Assert.InRange(linears[1].weight!.std().item<float>(), 0.019, 0.021);
        Assert.Equal(2, head.modules().OfType<ChunkedBatchNorm>().Count());
        Assert.Equal(2, head.modules().OfType<GELU>().Count());
    }
}
