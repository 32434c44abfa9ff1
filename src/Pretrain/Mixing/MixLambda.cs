using Pretrain.Common;
using Pretrain.Data;

namespace Pretrain.Mixing;

/// <summary>
/// Per-sample mixing ratio: λ ~ Beta(α, α), squeezed into [lo, hi] as λ' = lo + (hi-lo)·λ in float32,
/// as the official code does (new_lams = lam * 0.8 + 0.1 on a float32 tensor).
/// </summary>
public static class MixLambda
{
    public static float Squeeze(float u, double lo, double hi)
    {
        float scale = (float)(hi - lo), offset = (float)lo;
        float scaled = u * scale;
        return scaled + offset;
    }

    /// <summary>λ'_i for i in [0, n), each from its own stream keyed by (key, sample).</summary>
    public static float[] Draw(ulong key, int n, double alpha, double lo, double hi)
    {
        if (alpha <= 0) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Beta(α, α) needs α > 0");
        var lam = new float[n];
        for (int i = 0; i < n; i++)
        {
            var rng = new KeyedRandom(KeyedRandom.Key((long)key, i));
            lam[i] = Squeeze((float)rng.NextBeta(alpha, alpha), lo, hi);
        }
        return lam;
    }
}
