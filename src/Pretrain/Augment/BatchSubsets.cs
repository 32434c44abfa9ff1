using Pretrain.Common;
using static TorchSharp.torch;

namespace Pretrain.Augment;

/// <summary>
/// Host-known index lists over a batch (which samples take which op, in which layout), packed into one
/// index tensor so a batch costs a single small host→device copy however many lists it has. An op runs
/// on a subset by index_select → op → index_copy_, so no per-sample loop touches a tensor.
/// </summary>
internal sealed class BatchSubsets
{
    private readonly Tensor _indices;
    private readonly int[] _start, _length;
    private readonly bool[] _identity;
    private readonly int _batch;

    public BatchSubsets(IReadOnlyList<int[]> sets, int batch, Device device)
    {
        _batch = batch;
        _start = new int[sets.Count];
        _length = new int[sets.Count];
        _identity = new bool[sets.Count];
        var all = new long[sets.Sum(s => s.Length)];
        int at = 0;
        for (int i = 0; i < sets.Count; i++)
        {
            _start[i] = at;
            _length[i] = sets[i].Length;
            bool identity = sets[i].Length == batch;
            for (int k = 0; k < sets[i].Length; k++)
            {
                int j = sets[i][k];
                if ((uint)j >= (uint)batch) throw new ArgumentOutOfRangeException(nameof(sets), $"index {j} outside a batch of {batch}");
                identity &= j == k;
                all[at++] = j;
            }
            _identity[i] = identity;
        }
        _indices = HostToDevice.From(all, [all.Length], device);
    }

    public int Length(int set) => _length[set];

    public Tensor Index(int set) => _indices.narrow(0, _start[set], _length[set]);

    /// <summary>
    /// Runs op(samples, their indices) on the members of a set of distinct indices and writes the
    /// results back into x in place. op may overwrite its input: it gets a gathered copy, or x itself
    /// when the set is 0..B−1 in order.
    /// </summary>
    public void Apply(Tensor x, int set, Func<Tensor, Tensor, Tensor> op)
    {
        if (_length[set] == 0) return;
        using var scope = NewDisposeScope();
        var idx = Index(set);
        if (_identity[set])
        {
            var whole = op(x, idx);
            if (!ReferenceEquals(whole, x)) x.copy_(whole);
            return;
        }
        x.index_copy_(0, idx, op(x.index_select(0, idx), idx));
    }
}
