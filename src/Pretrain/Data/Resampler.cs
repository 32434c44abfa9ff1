using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>
/// Separable PIL-style resampling of a region into a square RGB uint8 output, in managed SIMD code
/// (Skia's own resize is the slow part of a Skia pipeline). Source pixels live as float RGBX so one
/// 128-bit vector is one pixel: the vertical pass runs over contiguous rows with Vector&lt;float&gt;,
/// the horizontal pass accumulates whole pixels. Horizontal flip is folded into the output index.
/// </summary>
public static class Resampler
{
    /// <summary>Source pixels as float RGBX (H·W·4). Rent with <see cref="ToFloat"/>, give back with Return.
    /// Pixel (0, 0) is pixel (OriginX, OriginY) of the picture that boxes refer to (a decoded region).</summary>
    public sealed class FloatImage(int width, int height, float[] data, int originX = 0, int originY = 0)
    {
        public int Width { get; } = width;
        public int Height { get; } = height;
        public float[] Data { get; } = data;
        public int OriginX { get; } = originX;
        public int OriginY { get; } = originY;
        public void Return() => ArrayPool<float>.Shared.Return(Data);
    }

    public static FloatImage ToFloat(PixelImage img)
    {
        int n = img.Width * img.Height;
        var dst = ArrayPool<float>.Shared.Rent(n * 4);
        var src = img.Pixels.AsSpan(0, n * img.Channels);
        if (img.Channels == 4) WidenBytes(src, dst);
        else
            for (int p = 0; p < n; p++)
            {
                dst[4 * p] = src[3 * p];
                dst[4 * p + 1] = src[3 * p + 1];
                dst[4 * p + 2] = src[3 * p + 2];
                dst[4 * p + 3] = 0f;
            }
        return new FloatImage(img.Width, img.Height, dst, img.OriginX, img.OriginY);
    }

    private static void WidenBytes(ReadOnlySpan<byte> src, Span<float> dst)
    {
        int i = 0, vb = Vector<byte>.Count, vf = Vector<float>.Count;
        for (; i + vb <= src.Length; i += vb)
        {
            var b = new Vector<byte>(src[i..]);
            Vector.Widen(b, out Vector<ushort> s0, out Vector<ushort> s1);
            Vector.Widen(s0, out Vector<uint> u0, out Vector<uint> u1);
            Vector.Widen(s1, out Vector<uint> u2, out Vector<uint> u3);
            Vector.ConvertToSingle(u0).CopyTo(dst[i..]);
            Vector.ConvertToSingle(u1).CopyTo(dst[(i + vf)..]);
            Vector.ConvertToSingle(u2).CopyTo(dst[(i + 2 * vf)..]);
            Vector.ConvertToSingle(u3).CopyTo(dst[(i + 3 * vf)..]);
        }
        for (; i < src.Length; i++) dst[i] = src[i];
    }

    /// <summary>Per output index: first source index and <c>Taps</c> weights (zero-padded).</summary>
    internal readonly struct Coefficients(int taps, int[] start, float[] weights)
    {
        public int Taps { get; } = taps;
        public int[] Start { get; } = start;
        public float[] Weights { get; } = weights;
        public int MinIndex => Start.Min();
        public int MaxIndexExclusive => Start.Max() + Taps;
    }

    /// <summary>PIL's precompute_coeffs for one axis: output i samples the source around
    /// begin + (i + 0.5)·scale with the kernel widened by max(scale, 1); taps outside [read0, read1)
    /// are dropped and the rest renormalised.</summary>
    internal static Coefficients ComputeCoefficients(double begin, double length, int read0, int read1, int outSize, ResampleFilter filter)
    {
        double scale = length / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = ResampleFilters.Support(filter) * filterScale;
        // Never more taps than readable pixels, so every tap index (padded ones included) stays inside.
        int taps = Math.Min((int)Math.Ceiling(support) * 2 + 1, read1 - read0);
        var start = new int[outSize];
        var weights = new float[outSize * taps];
        Span<double> w = stackalloc double[taps];
        for (int i = 0; i < outSize; i++)
        {
            double center = begin + (i + 0.5) * scale;
            int lo = Math.Max((int)Math.Floor(center - support + 0.5), read0);
            int hi = Math.Min((int)Math.Floor(center + support + 0.5), read1);
            if (hi <= lo) { lo = Math.Clamp((int)Math.Floor(center), read0, read1 - 1); hi = lo + 1; }
            int count = Math.Min(hi - lo, taps);
            double sum = 0;
            for (int k = 0; k < count; k++)
            {
                w[k] = ResampleFilters.Weight(filter, (lo + k + 0.5 - center) / filterScale);
                sum += w[k];
            }
            if (sum == 0) { w[0] = 1; sum = 1; count = Math.Max(count, 1); }
            // Keep all taps of a row inside [read0, read1) even where the padded tail would run past it.
            int s = Math.Min(lo, read1 - taps);
            int shift = lo - s;
            start[i] = s;
            for (int k = 0; k < count; k++) weights[i * taps + shift + k] = (float)(w[k] / sum);
        }
        return new Coefficients(taps, start, weights);
    }

    /// <summary>Resamples <paramref name="box"/> of <paramref name="src"/> into an out×out RGB block at
    /// <paramref name="dst"/> (row-major HWC), mirrored left-right when <paramref name="flip"/>.</summary>
    public static void Resample(FloatImage src, ResampleBox box, int outSize, ResampleFilter filter, bool flip, Span<byte> dst)
        => Resample(src, box, outSize, outSize, filter, flip, dst);

    public static void Resample(FloatImage src, ResampleBox box, int outW, int outH, ResampleFilter filter, bool flip, Span<byte> dst)
    {
        if (dst.Length < outW * outH * 3) throw new ArgumentException("destination too small", nameof(dst));
        // Coefficients live in the picture's coordinates (exactly as for a whole decode); only the
        // indexing into the held pixels subtracts the origin.
        int ox = src.OriginX, oy = src.OriginY;
        int r0x = Math.Max(ox, box.ReadX0), r1x = Math.Min(ox + src.Width, box.ReadX1);
        int r0y = Math.Max(oy, box.ReadY0), r1y = Math.Min(oy + src.Height, box.ReadY1);
        if (r1x <= r0x || r1y <= r0y) throw new ArgumentException($"empty read region in a {src.Width}x{src.Height} image");
        var cx = ComputeCoefficients(box.X, box.Width, r0x, r1x, outW, filter);
        var cy = ComputeCoefficients(box.Y, box.Height, r0y, r1y, outH, filter);
        int spanX0 = cx.MinIndex, spanX1 = cx.MaxIndexExclusive;
        int rowFloats = (spanX1 - spanX0) * 4;
        // One spare pixel so the last 4-lane load of a row can never run off the array.
        var tmp = ArrayPool<float>.Shared.Rent(outH * rowFloats + 4);
        try
        {
            VerticalPass(src, cy, spanX0 - ox, oy, rowFloats, outH, tmp);
            HorizontalPass(tmp, rowFloats, spanX0, cx, outW, outH, flip, dst);
        }
        finally { ArrayPool<float>.Shared.Return(tmp); }
    }

    private static void VerticalPass(FloatImage src, Coefficients cy, int spanX0, int originY, int rowFloats, int outH, float[] tmp)
    {
        int stride = src.Width * 4, vf = Vector<float>.Count;
        ref float s0 = ref MemoryMarshal.GetArrayDataReference(src.Data);
        ref float t0 = ref MemoryMarshal.GetArrayDataReference(tmp);
        ref float w0 = ref MemoryMarshal.GetArrayDataReference(cy.Weights);
        for (int y = 0; y < outH; y++)
        {
            int first = cy.Start[y] - originY;
            ref float trow = ref Unsafe.Add(ref t0, y * rowFloats);
            // Tap by tap over the whole (L1-resident) output row: a stream of FMAs with the weight in a
            // register, instead of re-reading every weight for every vector of the row.
            bool started = false;
            for (int k = 0; k < cy.Taps; k++)
            {
                float w = Unsafe.Add(ref w0, y * cy.Taps + k);
                if (w == 0f) continue;
                ref float srow = ref Unsafe.Add(ref s0, (first + k) * stride + spanX0 * 4);
                var wv = new Vector<float>(w);
                int x = 0;
                if (!started)
                {
                    for (; x + vf <= rowFloats; x += vf)
                        (Vector.LoadUnsafe(ref Unsafe.Add(ref srow, x)) * wv).StoreUnsafe(ref Unsafe.Add(ref trow, x));
                    for (; x < rowFloats; x++) Unsafe.Add(ref trow, x) = w * Unsafe.Add(ref srow, x);
                    started = true;
                    continue;
                }
                for (; x + vf <= rowFloats; x += vf)
                    Vector.MultiplyAddEstimate(Vector.LoadUnsafe(ref Unsafe.Add(ref srow, x)), wv, Vector.LoadUnsafe(ref Unsafe.Add(ref trow, x)))
                        .StoreUnsafe(ref Unsafe.Add(ref trow, x));
                for (; x < rowFloats; x++) Unsafe.Add(ref trow, x) += w * Unsafe.Add(ref srow, x);
            }
            if (!started) new Span<float>(tmp, y * rowFloats, rowFloats).Clear();
        }
    }

    private static void HorizontalPass(float[] tmp, int rowFloats, int spanX0, Coefficients cx, int outW, int outH, bool flip, Span<byte> dst)
    {
        ref float t0 = ref MemoryMarshal.GetArrayDataReference(tmp);
        ref float w0 = ref MemoryMarshal.GetArrayDataReference(cx.Weights);
        ref int s0 = ref MemoryMarshal.GetArrayDataReference(cx.Start);
        ref byte d0 = ref MemoryMarshal.GetReference(dst);
        int taps = cx.Taps;
        var half = Vector128.Create(0.5f);
        var max = Vector128.Create(255f);
        for (int y = 0; y < outH; y++)
        {
            ref float trow = ref Unsafe.Add(ref t0, y * rowFloats);
            ref byte drow = ref Unsafe.Add(ref d0, y * outW * 3);
            // Output positions ascend so each pixel may write 4 bytes (RGB + one the next pixel overwrites).
            for (int p = 0; p < outW; p++)
            {
                int x = flip ? outW - 1 - p : p;
                var acc = half;
                ref float src = ref Unsafe.Add(ref trow, (Unsafe.Add(ref s0, x) - spanX0) * 4);
                ref float w = ref Unsafe.Add(ref w0, x * taps);
                // Zero (padding) taps are multiplied rather than skipped: acc + 0·x is exactly acc, and a
                // data-dependent branch per tap mispredicts far more often than it saves.
                for (int k = 0; k < taps; k++)
                    acc = Vector128.MultiplyAddEstimate(Vector128.LoadUnsafe(ref Unsafe.Add(ref src, 4 * k)), Vector128.Create(Unsafe.Add(ref w, k)), acc);
                var v = Vector128.ConvertToInt32(Vector128.Min(Vector128.Max(acc, Vector128<float>.Zero), max));
                ref byte o = ref Unsafe.Add(ref drow, p * 3);
                if (p < outW - 1)
                {
                    var s16 = Vector128.Narrow(v, v);
                    Unsafe.WriteUnaligned(ref o, Vector128.Narrow(s16, s16).AsUInt32().ToScalar());
                }
                else
                {
                    o = (byte)v.GetElement(0);
                    Unsafe.Add(ref o, 1) = (byte)v.GetElement(1);
                    Unsafe.Add(ref o, 2) = (byte)v.GetElement(2);
                }
            }
        }
    }
}
