using Pretrain.Config;
using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// L = L_moco + w_s·L_source + w_m·L_mix (docs/sdmp.md §2). q2 is spent on the mixed view, so the
/// plain term is one direction only: q1 against the clean keys of view 2.
/// </summary>
public static class SdmpMocoLoss
{
    /// <param name="rows">Where the queries sit among the (gathered) keys; null: one process, all of them.</param>
    public static SdmpMocoTerms Total(Tensor q1, Tensor q2Mixed, Tensor k1, Tensor k1Mixed, Tensor k2, Tensor lambda,
        double tau, SdmpTarget target, double weightSource, double weightMix, QueryRows? rows = null)
    {
        var moco = MocoLoss.Contrastive(q1, k2, tau, rows?.Offset ?? 0);
        var source = SdmpLoss.Source(q2Mixed, k1, lambda, tau, target, rows);
        var mix = SdmpLoss.Mix(q2Mixed, k1Mixed, lambda, tau, target, rows);
        return new SdmpMocoTerms(moco + weightSource * source + weightMix * mix, moco, source, mix);
    }
}
