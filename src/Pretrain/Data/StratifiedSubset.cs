using Pretrain.Common;

namespace Pretrain.Data;

/// <summary>
/// A deterministic, class-stratified subset of a split (eval.probe_limit): each class's samples in a seeded
/// random order, then taken round-robin over the classes until the limit, so every class gets
/// ⌊limit/classes⌋ or one more (a class with fewer samples gives all it has and the others fill in).
/// Image folders are sorted by class, so "the first N" would hold only the first few classes.
/// Unlabelled samples (label -1) form one group of their own.
/// </summary>
public static class StratifiedSubset
{
    private const long Stream = 0x50524F4245; // "PROBE"

    /// <summary>Sorted indices of the subset; all indices when <paramref name="limit"/> is 0 or at least the split's size.</summary>
    public static int[] Indices(IDataSplit split, int limit, long seed)
    {
        if (limit <= 0 || limit >= split.Count) return Enumerable.Range(0, split.Count).ToArray();
        var byClass = new SortedDictionary<long, List<int>>();
        for (int i = 0; i < split.Count; i++)
        {
            var label = split.Label(i);
            if (!byClass.TryGetValue(label, out var list)) byClass[label] = list = [];
            list.Add(i);
        }
        var queues = byClass.Select(kv =>
        {
            var order = new KeyedRandom(KeyedRandom.Key(seed, Stream, kv.Key)).Permutation(kv.Value.Count);
            return order.Select(j => kv.Value[j]).ToArray();
        }).ToArray();
        var chosen = new List<int>(limit);
        for (int round = 0; chosen.Count < limit; round++)
            foreach (var q in queues)
            {
                if (round < q.Length) chosen.Add(q[round]);
                if (chosen.Count == limit) break;
            }
        chosen.Sort();
        return chosen.ToArray();
    }

    /// <summary>The split itself, or its stratified subset of <paramref name="limit"/> samples.</summary>
    public static IDataSplit Of(IDataSplit split, int limit, long seed) =>
        limit <= 0 || limit >= split.Count ? split : new SubsetSplit(split, Indices(split, limit, seed), $"{limit} stratified by class (eval.probe_limit)");
}
