using Pretrain.Common;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// Weighted k-NN as DINO's knn_classifier: L2-normalised features, cosine similarity, the top-k
/// neighbours vote with weight exp(sim/T). Several k share one top-k search; similarities are computed
/// in chunks of test rows so memory stays bounded for large memory banks (a chunk holds at most
/// <c>maxChunkElements</c> similarities). k larger than the bank means every training sample votes.
/// Ties between classes of equal vote go to the lower class index (stable sort). Top-5 counts a hit when
/// the true class is among the five best-voted classes and received a vote (DINO counts classes
/// without votes too when fewer than five classes got any; their order is arbitrary there).
/// Counts accumulate on the device: one device→host read per call. Progress (optional) counts test rows
/// per chunk as queued; on an asynchronous device it may run ahead of the work a little.
/// </summary>
public static class KnnClassifier
{
    public sealed record Result(int K, double Top1, double Top5);

    /// <param name="trainFeatures">[N, D]</param>
    /// <param name="trainLabels">[N] int64, each in [0, numClasses)</param>
    /// <param name="testFeatures">[M, D]</param>
    /// <param name="testLabels">[M] int64</param>
    public static IReadOnlyList<Result> Evaluate(Tensor trainFeatures, Tensor trainLabels, Tensor testFeatures, Tensor testLabels,
        IReadOnlyList<int> ks, double temperature = 0.07, int numClasses = 0, long maxChunkElements = 64L << 20, IProgressSink? progress = null)
    {
        if (trainFeatures.ndim != 2 || testFeatures.ndim != 2 || trainFeatures.shape[1] != testFeatures.shape[1])
            throw new ArgumentException($"k-NN features must be [N,D] and [M,D] with equal D (got [{string.Join(",", trainFeatures.shape)}] and [{string.Join(",", testFeatures.shape)}])");
        if (trainLabels.shape.Length != 1 || trainLabels.shape[0] != trainFeatures.shape[0] || testLabels.shape.Length != 1 || testLabels.shape[0] != testFeatures.shape[0])
            throw new ArgumentException("k-NN needs one label per feature row");
        if (ks.Count == 0 || ks.Any(k => k < 1)) throw new ArgumentException("k-NN needs at least one k, each >= 1");
        if (!(temperature > 0)) throw new ArgumentException($"k-NN temperature must be > 0, got {temperature}");
        long n = trainFeatures.shape[0], m = testFeatures.shape[0];
        if (n == 0 || m == 0) throw new ArgumentException($"k-NN needs training and test samples (got {n} and {m})");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long minLabel = Math.Min(trainLabels.min().item<long>(), testLabels.min().item<long>());
        long maxLabel = Math.Max(trainLabels.max().item<long>(), testLabels.max().item<long>());
        if (minLabel < 0) throw new ArgumentException("k-NN needs labelled samples (a label is negative)");
        if (numClasses <= 0) numClasses = (int)maxLabel + 1;
        else if (maxLabel >= numClasses) throw new ArgumentException($"label {maxLabel} is not below numClasses {numClasses}");

        var train = nn.functional.normalize(trainFeatures.to(float32), dim: 1);
        var test = nn.functional.normalize(testFeatures.to(float32).to(train.device), dim: 1);
        var trainY = trainLabels.to(int64).to(train.device);
        var testY = testLabels.to(int64).to(train.device);
        int kMax = (int)Math.Min(ks.Max(), n);
        long chunk = Math.Max(1, maxChunkElements / n);
        int top = Math.Min(5, numClasses);

        var reporter = new ProgressReporter(progress, "knn", m, unit: "queries");
        var top1 = zeros(ks.Count, dtype: int64, device: train.device);
        var top5 = zeros(ks.Count, dtype: int64, device: train.device);
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
                    .scatter_add_(1, neighbours.narrow(1, 0, k).contiguous(), weights.narrow(1, 0, k).contiguous());
                var (sortedVotes, order) = votes.sort(dim: 1, descending: true, stable: true);
                var correct = order.eq(target);
                top1[j].add_(correct.narrow(1, 0, 1).sum());
                top5[j].add_(correct.narrow(1, 0, top).logical_and(sortedVotes.narrow(1, 0, top).gt(0)).sum());
            }
            reporter.Advance(len);
        }
        var t1 = top1.cpu().data<long>().ToArray();
        var t5 = top5.cpu().data<long>().ToArray();
        reporter.Finish();
        return ks.Select((k, j) => new Result(k, 100.0 * t1[j] / m, 100.0 * t5[j] / m)).ToArray();
    }
}
