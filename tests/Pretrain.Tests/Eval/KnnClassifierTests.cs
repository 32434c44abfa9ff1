using Pretrain.Eval;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Eval;

public class KnnClassifierTests
{
    static Tensor F(params double[][] rows) => tensor(rows.SelectMany(r => r).Select(v => (float)v).ToArray()).reshape(rows.Length, rows[0].Length);
    static Tensor L(params long[] labels) => tensor(labels);

    [Fact]
    public void NearestNeighbourAndWeightedVotesGiveTheHandComputedAnswers()
    {
        // Test point [1,0]; similarities: A(class 0) 1, B(class 1) cos(atan .1) = .995, C(class 1) 0, D(class 2) -1.
        var train = F([1, 0], [1, 0.1], [0, 1], [-1, 0]);
        var test = F([2, 0]);                           // not unit length: the classifier normalises
        var r = KnnClassifier.Evaluate(train, L(0, 1, 1, 2), test, L(0), [1, 2, 3], temperature: 1.0);
        Assert.Equal(100.0, r[0].Top1);                 // k 1: A alone
        Assert.Equal(100.0, r[1].Top1);                 // k 2: e^1 (class 0) > e^.995 (class 1)
        Assert.Equal(0.0, r[2].Top1);                   // k 3: class 1 gets e^.995 + e^0 > e^1
        Assert.Equal(100.0, r[2].Top5);
    }

    [Fact]
    public void EqualVotesGoToTheLowerClassIndex()
    {
        // [0,1] is equally similar to both training points: class 0 and class 1 tie, class 0 is predicted.
        var train = F([1, 1], [-1, 1]);
        var r = KnnClassifier.Evaluate(train, L(1, 0), F([0, 1], [0, 1]), L(1, 0), [2]);
        Assert.Equal(50.0, r[0].Top1);
        Assert.Equal(100.0, r[0].Top5);
    }

    [Fact]
    public void KLargerThanAClassOrTheBankLetsEveryTrainingSampleVote()
    {
        // Class 0: one point right at the test point; class 1: three points at 60 degrees. With T = 1:
        // k 1 -> class 0; k 4 (> class size 1) -> 3 e^.5 = 4.95 > e^1 = 2.72 -> class 1; k 50 (> N 4) equals k 4.
        var c = Math.Cos(Math.PI / 3);
        var s = Math.Sin(Math.PI / 3);
        var train = F([1, 0], [c, s], [c, -s], [c, s]);
        var r = KnnClassifier.Evaluate(train, L(0, 1, 1, 1), F([1, 0]), L(0), [1, 4, 50], temperature: 1.0);
        Assert.Equal([100.0, 0.0, 0.0], r.Select(x => x.Top1));
        Assert.Equal([100.0, 100.0, 100.0], r.Select(x => x.Top5));
        Assert.Equal([1, 4, 50], r.Select(x => x.K));
    }

    [Fact]
    public void TopFiveCountsOnlyClassesThatReceivedVotes()
    {
        // k 1 votes for class 0 only; the true class 3 got no vote, so it is no top-5 hit even with 6 classes.
        var train = F([1, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [-1, 1]);
        var r = KnnClassifier.Evaluate(train, L(0, 1, 2, 3, 4, 5), F([1, 0]), L(3), [1]);
        Assert.Equal(0.0, r[0].Top5);
    }

    [Fact]
    public void ChunkedSimilaritiesMatchABruteForceReference()
    {
        var gen = new Generator(5);
        int n = 60, m = 23, d = 6, classes = 7;
        var train = randn(n, d, generator: gen);
        var test = randn(m, d, generator: gen);
        var ytrain = randint(0, classes, [n], generator: gen);
        var ytest = randint(0, classes, [m], generator: gen);
        int[] ks = [1, 3, 10, 100];
        const double T = 0.07;
        var whole = KnnClassifier.Evaluate(train, ytrain, test, ytest, ks, T);
        var chunked = KnnClassifier.Evaluate(train, ytrain, test, ytest, ks, T, maxChunkElements: 3 * n);   // 3 rows per chunk
        Assert.Equal(whole, chunked);

        var tr = nn.functional.normalize(train, dim: 1).to(float64).data<double>().ToArray();
        var te = nn.functional.normalize(test, dim: 1).to(float64).data<double>().ToArray();
        var yt = ytrain.data<long>().ToArray();
        var ye = ytest.data<long>().ToArray();
        for (int j = 0; j < ks.Length; j++)
        {
            int hits1 = 0, hits5 = 0;
            for (int i = 0; i < m; i++)
            {
                var sims = Enumerable.Range(0, n).Select(t => (t, sim: Enumerable.Range(0, d).Sum(q => te[i * d + q] * tr[t * d + q]))).OrderByDescending(x => x.sim).Take(Math.Min(ks[j], n));
                var votes = new double[classes];
                foreach (var (t, sim) in sims) votes[yt[t]] += Math.Exp(sim / T);
                var ranked = Enumerable.Range(0, classes).OrderByDescending(c => votes[c]).ThenBy(c => c).ToArray();
                if (ranked[0] == ye[i]) hits1++;
                if (ranked.Take(5).Contains((int)ye[i]) && votes[ye[i]] > 0) hits5++;
            }
            Assert.Equal(100.0 * hits1 / m, whole[j].Top1, 9);
            Assert.Equal(100.0 * hits5 / m, whole[j].Top5, 9);
        }
    }

    [Fact]
    public void NegativeLabelsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => KnnClassifier.Evaluate(F([1, 0]), L(-1), F([1, 0]), L(0), [1]));
    }
}
