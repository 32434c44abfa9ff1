using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>Mixup with the reversed batch: x̃_i = λ_i·x_i + (1-λ_i)·x_p(i). λ stays as drawn.</summary>
public static class Mixup
{
    /// <param name="x">[n, C, H, W]</param>
    /// <param name="lambda">[n] per-sample λ, or a scalar tensor applied to every sample.</param>
    public static Tensor Apply(Tensor x, Tensor lambda)
    {
        MixInput.Validate(x);
        var n = x.shape[0];
        var lam = lambda.to(x.dtype, x.device);
        if (lam.dim() == 1)
        {
            if (lam.shape[0] != n) throw new ArgumentException($"lambda has {lam.shape[0]} entries for a batch of {n}");
            lam = lam.view(n, 1, 1, 1);
        }
        else if (lam.dim() != 0) throw new ArgumentException("lambda must be [n] or a scalar");
        return lam * x + (1 - lam) * Partner.Rows(x);
    }
}
