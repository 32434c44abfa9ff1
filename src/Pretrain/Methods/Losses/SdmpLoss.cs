using Pretrain.Config;
using Pretrain.Mixing;
using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// SDMP's contrastive terms for MoCo v3 (docs/sdmp.md §2): a mixed query has two positives among the
/// keys, i and p(i) = n-1-i, with weights (w_self, w_flip). Every term is 2τ·mean_i ℓ_i and is
/// returned unweighted: the caller multiplies by sdmp.weight_source / weight_mix.
/// </summary>
public static class SdmpLoss
{
    /// <summary>Mixed queries against the clean keys of the other view, weights (λ_i, 1-λ_i).</summary>
    /// <param name="rows">Where the queries sit among the keys (a rank's rows of a global batch); null: all of them.</param>
    public static Tensor Source(Tensor qMixed, Tensor kClean, Tensor lambda, double tau, SdmpTarget target, QueryRows? rows = null)
    {
        var at = rows ?? QueryRows.All(qMixed.shape[0]);
        var (own, _) = at.Lambdas(Lambda(lambda, qMixed, at), qMixed.shape[0]);
        var (self, flip) = MixWeights.Source(own);
        return PerSample(qMixed, kClean, self, flip, tau, target, at).mean();
    }

    /// <summary>Mixed queries against the mixed keys, weights (1/(1+c_i), c_i/(1+c_i)).</summary>
    public static Tensor Mix(Tensor qMixed, Tensor kMixed, Tensor lambda, double tau, SdmpTarget target, QueryRows? rows = null)
    {
        var at = rows ?? QueryRows.All(qMixed.shape[0]);
        var (own, partner) = at.Lambdas(Lambda(lambda, qMixed, at), qMixed.shape[0]);
        var (self, flip) = MixWeights.Mix(own, partner);
        return PerSample(qMixed, kMixed, self, flip, tau, target, at).mean();
    }

    /// <summary>2τ·ℓ_i for each query, [n].</summary>
    public static Tensor PerSample(Tensor q, Tensor k, Tensor wSelf, Tensor wFlip, double tau, SdmpTarget target, QueryRows? rows = null)
    {
        var logProb = nn.functional.log_softmax(ContrastiveLogits.Compute(q, k, tau), 1);
        var n = logProb.shape[0];
        var at = rows ?? QueryRows.All(n);
        var own = MocoLoss.Own(logProb, at.Offset);
        var partner = logProb.gather(1, at.Partners(n, q.device).unsqueeze(1)).squeeze(1);
        var loss = target switch
        {
            SdmpTarget.SoftCe => -(wSelf * own + wFlip * partner),
            // log(w·p + w'·p') computed as a log-sum-exp so small probabilities do not underflow; a zero
            // weight contributes log 0 = -inf, which logsumexp handles exactly.
            SdmpTarget.ProbMix => -stack([wSelf.log() + own, wFlip.log() + partner], 1).logsumexp(1),
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
        return loss * (2 * tau);
    }

    private static Tensor Lambda(Tensor lambda, Tensor q, QueryRows rows)
    {
        long n = q.shape[0];
        if (lambda.dim() != 1 || (lambda.shape[0] != n && (rows.LocalPartners || lambda.shape[0] != rows.Rows)))
            throw new ArgumentException($"λ must be [n] with n = {n}{(rows.IsAll(n) ? "" : $" or [{rows.Rows}]")}, got [{string.Join(",", lambda.shape)}]");
        return lambda.to(q.dtype, q.device);
    }
}
