namespace Pretrain.Common;

/// <summary>
/// Counter-based random numbers: a stream is a pure function of its key, so every random decision
/// (epoch order, crop, jitter, mixing op, λ) is derived from (seed, epoch, sample, view, ...) and is
/// identical whatever the number of workers, and reproducible on resume without saved RNG state.
/// SplitMix64 over a key mixed from the parts.
/// </summary>
public struct KeyedRandom
{
    private ulong _state;

    public KeyedRandom(ulong key) => _state = key;

    public KeyedRandom(params long[] parts) => _state = Key(parts);

    /// <summary>Mixes the parts into one 64-bit key (order matters).</summary>
    public static ulong Key(params long[] parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            h ^= Mix((ulong)p + 0x632BE59BD9B4E019UL);
            h = Mix(h);
        }
        return h;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 bits.</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public double Uniform(double lo, double hi) => lo + (hi - lo) * NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)(NextULong() % (ulong)n);
    }

    /// <summary>Uniform integer in [lo, hi) (hi exclusive, as torch.randint / random.randint(lo, hi-1)).</summary>
    public int NextInt(int lo, int hi) => lo + NextInt(hi - lo);

    public bool Bernoulli(double p) => NextDouble() < p;

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Gamma(shape, 1) by Marsaglia–Tsang (boosted for shape &lt; 1).</summary>
    public double NextGamma(double shape)
    {
        if (shape < 1)
        {
            double u = NextDouble();
            return NextGamma(1.0 + shape) * Math.Pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0, c = 1.0 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = NextGaussian(); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>Beta(a, b) from two gammas.</summary>
    public double NextBeta(double a, double b)
    {
        double x = NextGamma(a), y = NextGamma(b);
        return x / (x + y);
    }

    /// <summary>Fisher–Yates permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }
}
