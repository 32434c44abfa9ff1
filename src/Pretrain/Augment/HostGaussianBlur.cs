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

    /// <summary>
    /// Taps below this (after normalising) are dropped and the kernel shortened to the rest: they move
    /// no sum of float32 pixel values by as much as an ulp, while their products with pixels fall into
    /// the denormal range, which costs ~100× per operation on x86 (small σ: e^−t²/2σ² reaches 1e−38).
    /// </summary>
    public const float NegligibleTap = 1e-9f;

    /// <summary>
    /// GaussianBlur.Kernel1d's 2r + 1 normalised taps, in its float32 arithmetic, trimmed symmetrically
    /// to the taps ≥ NegligibleTap: writes 2q + 1 taps to taps[0 ..] and returns q ≤ r.
    /// </summary>
    public static int Taps(double sigma, int radius, Span<float> taps)
    {
        if (radius < 0 || taps.Length < 2 * radius + 1) throw new ArgumentException($"need {2 * radius + 1} taps, got {taps.Length}");
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
        int kept = radius;
        while (kept > 0 && taps[radius + kept] / sum < NegligibleTap) kept--;
        for (int t = 0; t <= 2 * kept; t++) taps[t] = taps[radius - kept + t] / sum;
        return kept;
    }

    // Fused where the hardware has it (x86 FMA3, Arm AdvSimd); Vector.FusedMultiplyAdd would fall back
    // to a slow exact software emulation elsewhere. The JIT folds the static readonly test.
    private static readonly bool HasFma = System.Runtime.Intrinsics.X86.Fma.IsSupported || System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> MultiplyAdd(Vector<float> a, Vector<float> b, Vector<float> c) =>
        HasFma ? Vector.FusedMultiplyAdd(a, b, c) : a * b + c;

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
            // Two vectors a step share each tap load and halve the loop overhead per multiply-add.
            for (; x <= size - 2 * v; x += 2 * v)
            {
                var acc0 = Vector<float>.Zero;
                var acc1 = Vector<float>.Zero;
                for (int t = 0; t < k; t++)
                {
                    var w = new Vector<float>(Unsafe.Add(ref tap, t));
                    acc0 = MultiplyAdd(w, Vector.LoadUnsafe(ref padded, (nuint)(x + t)), acc0);
                    acc1 = MultiplyAdd(w, Vector.LoadUnsafe(ref padded, (nuint)(x + v + t)), acc1);
                }
                acc0.StoreUnsafe(ref output, (nuint)x);
                acc1.StoreUnsafe(ref output, (nuint)(x + v));
            }
            for (; x <= size - v; x += v)
            {
                var acc = Vector<float>.Zero;
                for (int t = 0; t < k; t++)
                    acc = MultiplyAdd(new Vector<float>(Unsafe.Add(ref tap, t)), Vector.LoadUnsafe(ref padded, (nuint)(x + t)), acc);
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
            for (; x <= size - 2 * v; x += 2 * v)
            {
                var acc0 = Vector<float>.Zero;
                var acc1 = Vector<float>.Zero;
                for (int t = 0; t < k; t++)
                {
                    var w = new Vector<float>(Unsafe.Add(ref tap, t));
                    ref float line = ref Unsafe.Add(ref source, Unsafe.Add(ref offset, t) + x);
                    acc0 = MultiplyAdd(w, Vector.LoadUnsafe(ref line), acc0);
                    acc1 = MultiplyAdd(w, Vector.LoadUnsafe(ref line, (nuint)v), acc1);
                }
                acc0.StoreUnsafe(ref output, (nuint)(y * size + x));
                acc1.StoreUnsafe(ref output, (nuint)(y * size + x + v));
            }
            for (; x <= size - v; x += v)
            {
                var acc = Vector<float>.Zero;
                for (int t = 0; t < k; t++)
                    acc = MultiplyAdd(new Vector<float>(Unsafe.Add(ref tap, t)), Vector.LoadUnsafe(ref source, (nuint)(Unsafe.Add(ref offset, t) + x)), acc);
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
