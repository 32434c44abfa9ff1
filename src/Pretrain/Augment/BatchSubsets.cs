using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// Host-known subsets of a batch (which samples take which op at which step), packed into one index
/// tensor so a batch costs a single small host→device copy however many subsets it has. An op runs on
/// a subset by index_select → op → index_copy_, so no per-sample loop touches a tensor.
/// </summary>
internal sealed class BatchSubsets
{
    private readonly Tensor _indices;
    private readonly int[] _start, _length;
    private readonly int _batch;

    public BatchSubsets(IReadOnlyList<int[]> sets, int batch, Device device)
    {
        _batch = batch;
        _start = new int[sets.Count];
        _length = new int[sets.Count];
        var all = new long[sets.Sum(s => s.Length)];
        int at = 0;
        for (int i = 0; i < sets.Count; i++)
        {
            _start[i] = at;
            _length[i] = sets[i].Length;
            int previous = -1;
            foreach (var j in sets[i])
            {
                // Strictly ascending, so a set as long as the batch is exactly 0..B−1.
                if (j <= previous || j >= batch) throw new ArgumentException("subset indices must ascend within [0, batch)", nameof(sets));
                all[at++] = previous = j;
            }
        }
        _indices = tensor(all, dtype: ScalarType.Int64).to(device);
    }

    public int Length(int set) => _length[set];

    public Tensor Index(int set) => _indices.narrow(0, _start[set], _length[set]);

    /// <summary>
    /// Runs op(samples, their indices) on the members of the set and returns the batch with them
    /// replaced (x itself, updated in place). op may overwrite its input: it gets a gathered copy, or
    /// x itself when the set is the whole batch in order.
    /// </summary>
    public Tensor Apply(Tensor x, int set, Func<Tensor, Tensor, Tensor> op)
    {
        int n = _length[set];
        if (n == 0) return x;
        using var scope = NewDisposeScope();
        var idx = Index(set);
        if (n == _batch)
        {
            var whole = op(x, idx);
            if (!ReferenceEquals(whole, x)) x.copy_(whole);
            return x;
        }
        var part = op(x.index_select(0, idx), idx);
        x.index_copy_(0, idx, part);
        return x;
    }
}
