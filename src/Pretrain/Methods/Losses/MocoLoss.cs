using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// MoCo v3's InfoNCE (moco/builder.py contrastive_loss): query i's positive is key i, the other keys
/// of the batch are negatives, and the cross-entropy is scaled by 2τ. With keys gathered from every
/// rank, query i of rank r is global row offset + i (offset = r·n), the labels of the official code.
/// </summary>
public static class MocoLoss
{
    /// <summary>2τ·CE per query, [n].</summary>
    public static Tensor PerSample(Tensor q, Tensor k, double tau, long offset = 0)
    {
        var logits = ContrastiveLogits.Compute(q, k, tau);
        var logProb = nn.functional.log_softmax(logits, 1);
        return Own(logProb, offset) * (-2 * tau);
    }

    /// <summary>log P(own key) per query: the diagonal when the keys are the queries' own batch.</summary>
    internal static Tensor Own(Tensor logProb, long offset)
    {
        long n = logProb.shape[0];
        if (offset == 0 && n == logProb.shape[1]) return logProb.diagonal();
        return logProb.gather(1, arange(offset, offset + n, ScalarType.Int64, logProb.device).unsqueeze(1)).squeeze(1);
    }

    /// <summary>2τ·mean_i CE(q_i·K/τ, offset + i), a scalar.</summary>
    public static Tensor Contrastive(Tensor q, Tensor k, double tau, long offset = 0) => PerSample(q, k, tau, offset).mean();

    /// <summary>Plain MoCo v3 (no SDMP): both views are queries against the other view's keys.</summary>
    public static Tensor Symmetric(Tensor q1, Tensor q2, Tensor k1, Tensor k2, double tau, long offset = 0) =>
        Contrastive(q1, k2, tau, offset) + Contrastive(q2, k1, tau, offset);
}
