using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// Weights of the two positives (i and p(i)) in the SDMP terms.
/// Source: (λ_i, 1-λ_i). Mix: (1/(1+c_i), c_i/(1+c_i)) with c_i = min(λ_i, 1-λ_p(i)) + min(1-λ_i, λ_p(i)),
/// the share of x_p(i)'s mixed image that sample i's mixed image has in common with it.
/// </summary>
public static class MixWeights
{
    public static Tensor Common(Tensor lambda)
    {
        var partner = Partner.Rows(lambda);
        return minimum(lambda, 1 - partner) + minimum(1 - lambda, partner);
    }

    public static (Tensor Self, Tensor Flip) Source(Tensor lambda) => (lambda, 1 - lambda);

    public static (Tensor Self, Tensor Flip) Mix(Tensor lambda)
    {
        var c = Common(lambda);
        return (1 / (1 + c), c / (1 + c));
    }
}
