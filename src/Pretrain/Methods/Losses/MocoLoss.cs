using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// MoCo v3's InfoNCE (moco/builder.py contrastive_loss): query i's positive is key i, the other keys
/// of the batch are negatives, and the cross-entropy is scaled by 2τ.
/// </summary>
public static class MocoLoss
{
    /// <summary>2τ·CE per query, [n].</summary>
    public static Tensor PerSample(Tensor q, Tensor k, double tau)
    {
        var logits = ContrastiveLogits.Compute(q, k, tau);
        var logProb = nn.functional.log_softmax(logits, 1);
        return logProb.diagonal() * (-2 * tau);
    }

    /// <summary>2τ·mean_i CE(q_i·K/τ, i), a scalar.</summary>
    public static Tensor Contrastive(Tensor q, Tensor k, double tau) => PerSample(q, k, tau).mean();

    /// <summary>Plain MoCo v3 (no SDMP): both views are queries against the other view's keys.</summary>
    public static Tensor Symmetric(Tensor q1, Tensor q2, Tensor k1, Tensor k2, double tau) =>
        Contrastive(q1, k2, tau) + Contrastive(q2, k1, tau);
}
