using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pretrain.Augment;

/// <summary>
/// GaussianBlur's separable kernel on one S×S float plane in managed SIMD, for the loader workers:
/// the same taps (exp(−t²/2σ²), t = −r..r, float32, normalised to sum 1) and the same reflect borders
/// (index −1 → 1, S → S − 2, no edge repeat), so it agrees with the torch path up to summation order.
/// </summary>
internal static class HostGaussianBlur
{
    /// <summary>The radius GaussianBlur.Apply uses on an S×S image: RadiusFor(σ_max) capped at S − 1 (≤ 0: no blur).</summary>
    public static int Radius(double sigmaMax, int size) => Math.Min(GaussianBlur.RadiusFor(sigmaMax), size - 1);

    /// <summary>2r + 1 normalised taps, in GaussianBlur.Kernel1d's float32 arithmetic.</summary>
    public static void Taps(double sigma, int radius, Span<float> taps)
    {
        if (taps.Length != 2 * radius + 1) throw new ArgumentException($"need {2 * radius + 1} taps, got {taps.Length}");
        // σ → 0 must give the identity tap, not 0/0.
        float s = MathF.Max((float)sigma, 1e-6f);
        float denominator = s * s * -2f;
        float sum = 0f;
        for (int t = -radius; t <= radius; t++)
        {
            float k = MathF.Exp((float)(t * t) / denominator);
            taps[t + radius] = k;
            sum += k;
        }
        for (int t = 0; t < taps.Length; t++) taps[t] /= sum;
    }

    /// <summary>Reflected index of i into [0, size) for |overhang| ≤ size − 1.</summary>
    public static int Reflect(int i, int size) => i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i;

    /// <summary>
    /// Blurs each row of plane (size × size, row-major) in place. row: scratch of at least
    /// size + 2r + Vector&lt;float&gt;.Count floats, holding one reflect-padded row at a time so that
    /// Vector&lt;float&gt;.Count outputs are 2r + 1 unaligned loads times a broadcast tap.
    /// </summary>
    public static void Rows(Span<float> plane, int size, ReadOnlySpan<float> taps, Span<float> row)
    {
        int k = taps.Length, r = k / 2, v = Vector<float>.Count;
        if (plane.Length < size * size || row.Length < size + 2 * r) throw new ArgumentException("plane or row buffer too small");
        ref float padded = ref MemoryMarshal.GetReference(row);
        ref float tap = ref MemoryMarshal.GetReference(taps);
        for (int y = 0; y < size; y++)
        {
            var line = plane.Slice(y * size, size);
            line.CopyTo(row.Slice(r));
            for (int j = 1; j <= r; j++)
            {
                row[r - j] = line[j];
                row[r + size - 1 + j] = line[size - 1 - j];
            }
            ref float output = ref MemoryMarshal.GetReference(line);
            int x = 0;
            for (; x <= size - v; x += v)
            {
                var acc = Vector<float>.Zero;
                for (int t = 0; t < k; t++)
                    acc += new Vector<float>(Unsafe.Add(ref tap, t)) * Vector.LoadUnsafe(ref padded, (nuint)(x + t));
                acc.StoreUnsafe(ref output, (nuint)x);
            }
            for (; x < size; x++)
            {
                float acc = 0f;
                for (int t = 0; t < k; t++) acc += taps[t] * row[x + t];
                line[x] = acc;
            }
        }
    }

    /// <summary>
    /// Blurs the columns of src (size × size) into dst: each output row is 2r + 1 reflected source rows
    /// times their taps, accumulated in registers. rowOffsets: scratch of at least 2r + 1 ints.
    /// </summary>
    public static void Columns(ReadOnlySpan<float> src, Span<float> dst, int size, ReadOnlySpan<float> taps, Span<int> rowOffsets)
    {
        int k = taps.Length, r = k / 2, v = Vector<float>.Count;
        if (src.Length < size * size || dst.Length < size * size || rowOffsets.Length < k)
            throw new ArgumentException("plane or offset buffer too small");
        ref float source = ref MemoryMarshal.GetReference(src);
        ref float output = ref MemoryMarshal.GetReference(dst);
        ref float tap = ref MemoryMarshal.GetReference(taps);
        ref int offset = ref MemoryMarshal.GetReference(rowOffsets);
        for (int y = 0; y < size; y++)
        {
            for (int t = 0; t < k; t++) rowOffsets[t] = Reflect(y - r + t, size) * size;
            int x = 0;
            for (; x <= size - v; x += v)
            {
                var acc = Vector<float>.Zero;
                for (int t = 0; t < k; t++)
                    acc += new Vector<float>(Unsafe.Add(ref tap, t)) * Vector.LoadUnsafe(ref source, (nuint)(Unsafe.Add(ref offset, t) + x));
                acc.StoreUnsafe(ref output, (nuint)(y * size + x));
            }
            for (; x < size; x++)
            {
                float acc = 0f;
                for (int t = 0; t < k; t++) acc += taps[t] * src[rowOffsets[t] + x];
                dst[y * size + x] = acc;
            }
        }
    }
}
