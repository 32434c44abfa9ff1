using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>MoCo v3's logits: cosine similarity of every query with every key, over τ.</summary>
public static class ContrastiveLogits
{
    /// <param name="q">[n, d] queries (not yet normalised).</param>
    /// <param name="k">[N, d] keys (not yet normalised; N = n, or the global batch when the keys were
    /// gathered from every rank); no gradient flows into them in training.</param>
    /// <returns>[n, N] logits, row i = query i against all keys.</returns>
    public static Tensor Compute(Tensor q, Tensor k, double tau)
    {
        if (q.dim() != 2 || k.dim() != 2 || q.shape[0] > k.shape[0] || q.shape[1] != k.shape[1])
            throw new ArgumentException($"queries [{string.Join(",", q.shape)}] and keys [{string.Join(",", k.shape)}] must be [n,d] and [N,d] with n <= N");
        if (!(tau > 0)) throw new ArgumentOutOfRangeException(nameof(tau), tau, "temperature must be > 0");
        var qn = nn.functional.normalize(q, p: 2, dim: 1);
        var kn = nn.functional.normalize(k, p: 2, dim: 1);
        return qn.mm(kn.t()) / tau;
    }
}
