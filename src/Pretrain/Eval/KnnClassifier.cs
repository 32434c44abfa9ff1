using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// Weighted k-NN as DINO's knn_classifier: L2-normalised features, cosine similarity, the top-k
/// neighbours vote with weight exp(sim/T). Several k share one top-k search; similarities are computed
/// in chunks of test rows so memory stays bounded for large memory banks. Ties between classes of equal
/// vote go to the lower class index (stable sort).
/// </summary>
public static class KnnClassifier
{
    public sealed record Result(int K, double Top1, double Top5);

    /// <param name="trainFeatures">[N, D]</param>
    /// <param name="trainLabels">[N] int64</param>
    /// <param name="testFeatures">[M, D]</param>
    /// <param name="testLabels">[M] int64</param>
    public static IReadOnlyList<Result> Evaluate(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        IReadOnlyList<int> ks, double temperature = 0.07, int numClasses = 0, long maxChunkElements = 64L << 20)
    {
        if (trainFeatures.ndim != 2 || testFeatures.ndim != 2 || trainFeatures.shape[1] != testFeatures.shape[1])
            throw new ArgumentException($"k-NN features must be [N,D] and [M,D] with equal D (got [{string.Join(",", trainFeatures.shape)}] and [{string.Join(",", testFeatures.shape)}])");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long n = trainFeatures.shape[0], m = testFeatures.shape[0];
        if (numClasses <= 0) numClasses = (int)Math.Max(trainLabels.max().item<long>(), testLabels.max().item<long>()) + 1;
        var train = nn.functional.normalize(trainFeatures.to(float32), dim: 1);
        var test = nn.functional.normalize(testFeatures.to(float32), dim: 1);
        var trainY = trainLabels.to(int64).to(train.device);
        var testY = testLabels.to(int64).to(train.device);
        int kMax = (int)Math.Min(ks.Max(), n);
        long chunk = Math.Max(1, maxChunkElements / Math.Max(n, 1));

        var top1 = new long[ks.Count];
        var top5 = new long[ks.Count];
        for (long start = 0; start < m; start += chunk)
        {
            using var inner = NewDisposeScope();
            long len = Math.Min(chunk, m - start);
            var sim = test.narrow(0, start, len).mm(train.T);                  // [len, N]
            var (dist, idx) = sim.topk(kMax, dim: 1, largest: true, sorted: true);
            var neighbours = trainY.index_select(0, idx.reshape(-1)).reshape(len, kMax);
            var weights = (dist / temperature).exp();
            var target = testY.narrow(0, start, len).unsqueeze(1);
            for (int j = 0; j < ks.Count; j++)
            {
                int k = (int)Math.Min(ks[j], n);
                var votes = zeros(len, numClasses, device: train.device)
                    .scatter_add_(1, neighbours.narrow(1, 0, k), weights.narrow(1, 0, k));
                var (_, order) = votes.sort(dim: 1, descending: true, stable: true);
                var correct = order.eq(target);
                top1[j] += correct.narrow(1, 0, 1).sum().item<long>();
                top5[j] += correct.narrow(1, 0, Math.Min(5, numClasses)).sum().item<long>();
            }
        }
        return ks.Select((k, j) => new Result(k, 100.0 * top1[j] / m, 100.0 * top5[j] / m)).ToArray();
    }
}
