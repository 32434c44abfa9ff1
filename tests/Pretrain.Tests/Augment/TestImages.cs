using Pretrain.Common;
using Pretrain.Data;
using static TorchSharp.torch;

namespace Pretrain.Tests.Augment;

/// <summary>Small deterministic test batches.</summary>
internal static class TestImages
{
    /// <summary>Uniform values in [lo, hi) from a keyed stream, as [n,c,h,w] float32.</summary>
    public static Tensor Uniform(long seed, int n, int c, int h, int w, double lo = 0.0, double hi = 1.0)
    {
        var rng = new KeyedRandom(KeyedRandom.Key(seed));
        var v = new float[n * c * h * w];
        for (int i = 0; i < v.Length; i++) v[i] = (float)rng.Uniform(lo, hi);
        return tensor(v).view(n, c, h, w);
    }

    public static float[] Values(Tensor t) => t.contiguous().to(ScalarType.Float32).data<float>().ToArray();

    public static double MaxAbsDiff(Tensor a, Tensor b) =>
        (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();

    public static Tensor PerSample(params double[] v) => tensor(v.Select(x => (float)x).ToArray());
}
