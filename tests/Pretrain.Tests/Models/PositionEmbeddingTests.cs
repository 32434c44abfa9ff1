using Pretrain.Models;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class PositionEmbeddingTests
{
    [Fact]
    public void SinCosOnTwoByTwoGridMatchesClosedForm()
    {
        const int dim = 8;
        var table = PositionEmbedding.SinCos2d(2, 2, dim);
        Assert.Equal(new long[] { 1, 5, dim }, table.shape);
        // pos_dim = 2, omega_d = 1 / 10000^(d/2) = {1, 0.01}; token m has coordinates (m / 2, m % 2).
        double[] omega = [1.0, 0.01];
        var expected = new double[5 * dim];
        for (int m = 0; m < 4; m++)
        {
            double a = m / 2, b = m % 2;
            int row = (m + 1) * dim;
            for (int d = 0; d < 2; d++)
            {
                expected[row + d] = Math.Sin(a * omega[d]);
                expected[row + 2 + d] = Math.Cos(a * omega[d]);
                expected[row + 4 + d] = Math.Sin(b * omega[d]);
                expected[row + 6 + d] = Math.Cos(b * omega[d]);
            }
        }
        TensorAssert.Close(tensor(expected).reshape(1, 5, dim), table, 1e-6, "sincos table");
    }

    [Fact]
    public void SinCosClsRowIsZero()
    {
        var table = PositionEmbedding.SinCos2d(3, 5, 16);
        Assert.Equal(new long[] { 1, 16, 16 }, table.shape);
        Assert.Equal(0.0, table[0, 0].abs().max().item<float>());
    }

    [Fact]
    public void LearnedTableAtItsOwnGridIsUnchanged()
    {
        manual_seed(1);
        var table = randn(1, 1 + 16, 6);
        TensorAssert.Close(table, PositionEmbedding.InterpolateLearned(table, 4, 4), 0, "same-size interpolation");
    }

    [Fact]
    public void LearnedTableResizedKeepsClsAndConstants()
    {
        // Bicubic weights sum to one, so a constant patch table stays constant at any grid.
        var table = cat([full(1, 1, 6, -3.0f), full(1, 16, 6, 0.25f)], 1);
        var resized = PositionEmbedding.InterpolateLearned(table, 2, 3);
        Assert.Equal(new long[] { 1, 7, 6 }, resized.shape);
        TensorAssert.Close(full(1, 1, 6, -3.0f), resized.narrow(1, 0, 1), 0, "cls entry");
        TensorAssert.Close(full(1, 6, 6, 0.25f), resized.narrow(1, 1, 6), 1e-6, "patch entries");
    }
}
