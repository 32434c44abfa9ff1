using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// Weights of the two positives (i and p(i)) in the SDMP terms.
/// Source: (λ_i, 1-λ_i). Mix: (1/(1+c_i), c_i/(1+c_i)) with c_i = min(λ_i, 1-λ_p(i)) + min(1-λ_i, λ_p(i)),
/// the share of x_p(i)'s mixed image that sample i's mixed image has in common with it.
/// </summary>
public static class MixWeights
{
    public static Tensor Common(Tensor lambda) => Common(lambda, Partner.Rows(lambda));

    /// <summary>c_i from the λ of the rows and the λ of their partners (a rank's rows of a global batch).</summary>
    public static Tensor Common(Tensor lambda, Tensor partnerLambda) =>
        minimum(lambda, 1 - partnerLambda) + minimum(1 - lambda, partnerLambda);

    public static (Tensor Self, Tensor Flip) Source(Tensor lambda) => (lambda, 1 - lambda);

    public static (Tensor Self, Tensor Flip) Mix(Tensor lambda) => Mix(lambda, Partner.Rows(lambda));

    public static (Tensor Self, Tensor Flip) Mix(Tensor lambda, Tensor partnerLambda)
    {
        var c = Common(lambda, partnerLambda);
        return (1 / (1 + c), c / (1 + c));
    }
}
