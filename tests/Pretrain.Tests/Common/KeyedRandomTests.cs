using Pretrain.Common;
using Xunit;

namespace Pretrain.Tests.Common;

public class KeyedRandomTests
{
    [Fact]
    public void AStreamIsAPureFunctionOfItsKey()
    {
        var a = new KeyedRandom(KeyedRandom.Key(3, 17, 2));
        var b = new KeyedRandom(3, 17, 2);
        for (int i = 0; i < 100; i++) Assert.Equal(a.NextULong(), b.NextULong());
        Assert.NotEqual(KeyedRandom.Key(3, 17, 2), KeyedRandom.Key(3, 17, 3));
        Assert.NotEqual(KeyedRandom.Key(3, 17, 2), KeyedRandom.Key(3, 2, 17));   // order matters
    }

    [Fact]
    public void DrawsHaveTheirDistributionsMoments()
    {
        var rng = new KeyedRandom(42UL);
        const int n = 200_000;
        double sum = 0, sumSq = 0, bernoulli = 0;
        var counts = new int[7];
        for (int i = 0; i < n; i++)
        {
            var u = rng.NextDouble();
            Assert.InRange(u, 0.0, 1.0 - 1e-17);
            sum += u;
            sumSq += u * u;
            if (rng.Bernoulli(0.3)) bernoulli++;
            counts[rng.NextInt(7)]++;
        }
        Assert.Equal(0.5, sum / n, 2);                        // mean of U(0,1)
        Assert.Equal(1.0 / 12, sumSq / n - Math.Pow(sum / n, 2), 2);
        Assert.Equal(0.3, bernoulli / n, 2);
        Assert.All(counts, c => Assert.InRange(c / (double)n, 1 / 7.0 - 0.01, 1 / 7.0 + 0.01));
    }

    [Fact]
    public void PermutationIsAPermutation()
    {
        var p = new KeyedRandom(7UL).Permutation(1000);
        Assert.Equal(Enumerable.Range(0, 1000), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 1000), p);
        Assert.Equal(p, new KeyedRandom(7UL).Permutation(1000));
    }
}
