using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pretrain.Data;

namespace Pretrain.Augment;

/// <summary>
/// BatchAugmenter's photometric stage (jitter in its per-sample order, grayscale, blur, solarize,
/// normalize) for one crop at a time in managed SIMD, so the loader workers can run it next to the
/// crop, as PIL does, instead of libtorch ops on the training thread. Same parameters (PhotometricParams)
/// and the same float32 formulas as ColorOps / Grayscale / GaussianBlur / Solarize, so results agree with
/// the torch path up to rounding order. Works on three planar float planes in per-thread scratch
/// (several workers call it at once); nothing is allocated per sample.
/// </summary>
public static class HostPhotometric
{
    private static readonly float WeightR = (float)Grayscale.WeightR;
    private static readonly float WeightG = (float)Grayscale.WeightG;
    private static readonly float WeightB = (float)Grayscale.WeightB;

    // byte → byte·(1/255f), the SIMD conversion's value, by table for the scalar tail.
    private static readonly float[] UnitScale = Enumerable.Range(0, 256).Select(b => b * (1f / 255f)).ToArray();

    private sealed class Scratch
    {
        public float[] Planes = [];
        public float[] Row = [];
        public float[] Taps = [];
        public int[] RowOffsets = [];
    }

    [ThreadStatic] private static Scratch? _scratch;

    /// <summary>
    /// Sample i of p applied to one crop: hwc = S·S·3 uint8 RGB (row-major HWC) → chw = 3·S·S float32,
    /// value = ((op chain applied to byte/255f) − mean[c]) / std[c].
    /// </summary>
    public static void ApplyOne(ReadOnlySpan<byte> hwc, int size, PhotometricParams p, int i,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> chw)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size));
        int n = size * size;
        if (hwc.Length != 3 * n) throw new ArgumentException($"expected {3 * n} bytes for {size}×{size}×3, got {hwc.Length}");
        if (chw.Length != 3 * n) throw new ArgumentException($"expected an output of {3 * n} floats, got {chw.Length}");
        if (mean.Length != 3 || std.Length != 3) throw new ArgumentException("mean and std need 3 values");
        if ((uint)i >= (uint)p.Count) throw new ArgumentOutOfRangeException(nameof(i));

        // Planes padded to whole vectors: the per-pixel ops then run without scalar tails (the padding
        // lanes are computed and ignored).
        int v = Vector<float>.Count;
        int stride = (n + v - 1) / v * v;
        var scratch = _scratch ??= new Scratch();
        if (scratch.Planes.Length < 3 * stride) scratch.Planes = new float[3 * stride];
        var planes = scratch.Planes.AsSpan(0, 3 * stride);

        Deinterleave(hwc, planes, n, stride);
        if (p.Jitter[i]) Jitter(planes, n, stride, p, i);
        bool gray = p.Grayscale[i];
        // A gray sample keeps one plane: blur runs once and the finish writes it to all three channels.
        if (gray) ToLuma(planes, stride);
        int planeCount = gray ? 1 : 3;

        int radius = HostGaussianBlur.Radius(p.SigmaMax, size), kept = 0;
        if (p.Blur[i] && radius > 0)
        {
            int k = 2 * radius + 1;
            if (scratch.Taps.Length < k) scratch.Taps = new float[k];
            if (scratch.RowOffsets.Length < k) scratch.RowOffsets = new int[k];
            if (scratch.Row.Length < size + 2 * radius) scratch.Row = new float[size + 2 * radius];
            kept = HostGaussianBlur.Taps(p.Sigma[i], radius, scratch.Taps);
        }
        // A kernel trimmed to its centre tap (small σ) is exactly the identity: skip both passes.
        bool blur = kept > 0;
        if (blur)
        {
            var taps = scratch.Taps.AsSpan(0, 2 * kept + 1);
            for (int c = 0; c < planeCount; c++)
            {
                var plane = planes.Slice(c * stride, n);
                HostGaussianBlur.Rows(plane, size, taps, scratch.Row);
                HostGaussianBlur.Columns(plane, chw.Slice(c * n, n), size, taps, scratch.RowOffsets);
            }
        }

        // Channel 0 last: a blurred gray sample's source is output channel 0 itself.
        for (int c = 2; c >= 0; c--)
        {
            int from = gray ? 0 : c;
            ReadOnlySpan<float> source = blur ? chw.Slice(from * n, n) : planes.Slice(from * stride, n);
            Finish(source, chw.Slice(c * n, n), p.Solarize[i], mean[c], std[c]);
        }
    }

    /// <summary>
    /// Every sample of a view: p = PhotometricParams.Draw(view.Config, view.SampleKeys); returns a new
    /// float[B·3·S·S] ([B,3,S,S] contiguous), sample b from view.Pixels[b·S·S·3 ..].
    /// </summary>
    public static float[] Apply(RawView view, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        int size = view.CropSize, b = view.SampleKeys.Length;
        int perSample = 3 * size * size;
        if (view.Pixels.LongLength != (long)b * perSample)
            throw new ArgumentException($"expected {(long)b * perSample} bytes for {b}×{size}×{size}×3, got {view.Pixels.LongLength}");
        var p = PhotometricParams.Draw(view.Config, view.SampleKeys);
        // Every element is written below: skip the zeroing of a large-object allocation.
        var result = GC.AllocateUninitializedArray<float>(checked(b * perSample));
        for (int i = 0; i < b; i++)
            ApplyOne(view.Pixels.AsSpan(i * perSample, perSample), size, p, i, mean, std, result.AsSpan(i * perSample, perSample));
        return result;
    }

    /// <summary>
    /// HWC bytes → three planes of byte·(1/255f). The reciprocal product, not torch's division, is at
    /// most 1 ulp away and keeps the SIMD conversion free of divisions; the scalar tail uses the same
    /// products (table) so every pixel gets the same value whichever path converts it.
    /// </summary>
    private static void Deinterleave(ReadOnlySpan<byte> hwc, Span<float> planes, int n, int stride)
    {
        ref byte source = ref MemoryMarshal.GetReference(hwc);
        ref float r = ref MemoryMarshal.GetReference(planes);
        ref float g = ref Unsafe.Add(ref r, stride);
        ref float b = ref Unsafe.Add(ref r, 2 * stride);
        int k = 0;
        if (Avx2.IsSupported)
        {
            var scale = Vector256.Create(1f / 255f);
            // 16 pixels = 48 bytes a step: three pshufb per channel gather its bytes from the three
            // 16-byte loads, then zero-extend to int and convert, 8 at a time.
            for (; k <= n - 16; k += 16)
            {
                ref byte block = ref Unsafe.Add(ref source, 3 * k);
                var a = Vector128.LoadUnsafe(ref block);
                var m = Vector128.LoadUnsafe(ref block, 16);
                var z = Vector128.LoadUnsafe(ref block, 32);
                for (int c = 0; c < 3; c++)
                {
                    var bytes = Ssse3.Shuffle(a, DeinterleaveMasks[3 * c]) | Ssse3.Shuffle(m, DeinterleaveMasks[3 * c + 1])
                        | Ssse3.Shuffle(z, DeinterleaveMasks[3 * c + 2]);
                    ref float plane = ref Unsafe.Add(ref r, c * stride + k);
                    (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(bytes)) * scale).StoreUnsafe(ref plane);
                    (Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(bytes, 8))) * scale)
                        .StoreUnsafe(ref plane, 8);
                }
            }
        }
        ref float unit = ref MemoryMarshal.GetArrayDataReference(UnitScale);
        for (; k < n; k++)
        {
            Unsafe.Add(ref r, k) = Unsafe.Add(ref unit, Unsafe.Add(ref source, 3 * k));
            Unsafe.Add(ref g, k) = Unsafe.Add(ref unit, Unsafe.Add(ref source, 3 * k + 1));
            Unsafe.Add(ref b, k) = Unsafe.Add(ref unit, Unsafe.Add(ref source, 3 * k + 2));
        }
        for (int c = 0; c < 3; c++) planes.Slice(c * stride + n, stride - n).Clear();
    }

    /// <summary>
    /// pshufb masks [3·channel + load]: lane j of a 16-pixel block takes byte 3j + channel of the 48,
    /// which lies in load (3j + channel) / 16; lanes from the other loads read 0x80 (→ 0) and are OR-ed in.
    /// </summary>
    private static readonly Vector128<byte>[] DeinterleaveMasks = MakeDeinterleaveMasks();

    private static Vector128<byte>[] MakeDeinterleaveMasks()
    {
        var masks = new Vector128<byte>[9];
        Span<byte> lanes = stackalloc byte[16];
        for (int c = 0; c < 3; c++)
            for (int load = 0; load < 3; load++)
            {
                for (int j = 0; j < 16; j++)
                {
                    int at = 3 * j + c;
                    lanes[j] = at / 16 == load ? (byte)(at % 16) : (byte)0x80;
                }
                masks[3 * c + load] = Vector128.Create((ReadOnlySpan<byte>)lanes);
            }
        return masks;
    }

    private static void Jitter(Span<float> planes, int n, int stride, PhotometricParams p, int i)
    {
        p.CheckOrder(i);
        var order = p.Order[i];

        foreach (var op in order)
        {
            switch (op)
            {
                case PhotometricParams.BrightnessOp:
                    Blend(planes, (float)p.Brightness[i], 0f);
                    break;
                case PhotometricParams.ContrastOp:
                    float f = (float)p.Contrast[i];
                    Blend(planes, f, LumaMean(planes, n, stride) * (1f - f));
                    break;
                case PhotometricParams.SaturationOp:
                    Saturate(planes, stride, (float)p.Saturation[i]);
                    break;
                default:
                    RotateHue(planes, stride, (float)p.Hue[i] * 6f);
                    break;
            }
        }
    }

    private static Vector<float> Clamp01(Vector<float> x) => Vector.Min(Vector.Max(x, Vector<float>.Zero), Vector<float>.One);

    private static Vector<float> Luma(Vector<float> r, Vector<float> g, Vector<float> b) =>
        r * WeightR + g * WeightG + b * WeightB;

    /// <summary>x = clamp(f·x + offset, 0, 1) on every value: brightness (offset 0) and contrast.</summary>
    private static void Blend(Span<float> values, float factor, float offset)
    {
        ref float x = ref MemoryMarshal.GetReference(values);
        var f = new Vector<float>(factor);
        var o = new Vector<float>(offset);
        int v = Vector<float>.Count;
        for (int k = 0; k < values.Length; k += v)
            Clamp01(Vector.LoadUnsafe(ref x, (nuint)k) * f + o).StoreUnsafe(ref x, (nuint)k);
    }

    /// <summary>Mean luma over the n real pixels, summed in double per block of float vector sums.</summary>
    private static float LumaMean(Span<float> planes, int n, int stride)
    {
        ref float r = ref MemoryMarshal.GetReference(planes);
        ref float g = ref Unsafe.Add(ref r, stride);
        ref float b = ref Unsafe.Add(ref r, 2 * stride);
        int v = Vector<float>.Count, whole = n - n % v;
        const int Block = 64;
        double total = 0;
        for (int start = 0; start < whole; start += Block * v)
        {
            int end = Math.Min(whole, start + Block * v);
            var acc = Vector<float>.Zero;
            for (int k = start; k < end; k += v)
                acc += Luma(Vector.LoadUnsafe(ref r, (nuint)k), Vector.LoadUnsafe(ref g, (nuint)k), Vector.LoadUnsafe(ref b, (nuint)k));
            total += Vector.Sum(acc);
        }
        for (int k = whole; k < n; k++)
            total += Unsafe.Add(ref r, k) * WeightR + Unsafe.Add(ref g, k) * WeightG + Unsafe.Add(ref b, k) * WeightB;
        return (float)(total / n);
    }

    /// <summary>ColorOps saturation: x = clamp(f·x + (1 − f)·luma, 0, 1) per pixel.</summary>
    private static void Saturate(Span<float> planes, int stride, float factor)
    {
        ref float r = ref MemoryMarshal.GetReference(planes);
        ref float g = ref Unsafe.Add(ref r, stride);
        ref float b = ref Unsafe.Add(ref r, 2 * stride);
        var f = new Vector<float>(factor);
        var rest = new Vector<float>(1f - factor);
        int v = Vector<float>.Count;
        for (int k = 0; k < stride; k += v)
        {
            var vr = Vector.LoadUnsafe(ref r, (nuint)k);
            var vg = Vector.LoadUnsafe(ref g, (nuint)k);
            var vb = Vector.LoadUnsafe(ref b, (nuint)k);
            var gray = Luma(vr, vg, vb) * rest;
            Clamp01(vr * f + gray).StoreUnsafe(ref r, (nuint)k);
            Clamp01(vg * f + gray).StoreUnsafe(ref g, (nuint)k);
            Clamp01(vb * f + gray).StoreUnsafe(ref b, (nuint)k);
        }
    }

    /// <summary>
    /// ColorOps.AdjustHueInPlace's closed form: 6h from HsvColorSpace.HueSixths (numerator chosen by
    /// the max channel, R winning ties, then G; gray pixels give 0), plus 6·shift, mod 6 into [0, 6);
    /// each channel = min + C·clamp(ramp_c(6h), 0, 1). Not clamped afterwards, as in the torch path.
    /// </summary>
    private static void RotateHue(Span<float> planes, int stride, float shiftSixths)
    {
        ref float r = ref MemoryMarshal.GetReference(planes);
        ref float g = ref Unsafe.Add(ref r, stride);
        ref float b = ref Unsafe.Add(ref r, 2 * stride);
        var shift = new Vector<float>(shiftSixths);
        var six = new Vector<float>(6f);
        var two = new Vector<float>(2f);
        var three = new Vector<float>(3f);
        var four = new Vector<float>(4f);
        var tiny = new Vector<float>(1e-12f);
        int v = Vector<float>.Count;
        for (int k = 0; k < stride; k += v)
        {
            var vr = Vector.LoadUnsafe(ref r, (nuint)k);
            var vg = Vector.LoadUnsafe(ref g, (nuint)k);
            var vb = Vector.LoadUnsafe(ref b, (nuint)k);
            var max = Vector.Max(vr, Vector.Max(vg, vb));
            var min = Vector.Min(vr, Vector.Min(vg, vb));
            var chroma = max - min;
            var numerator = Vector.ConditionalSelect(Vector.Equals(max, vr), vg - vb,
                Vector.ConditionalSelect(Vector.Equals(max, vg), (vb - vr) + chroma * two, (vr - vg) + chroma * four));
            // Sixths in [−1, 5) plus a shift in [−3, 3]: one wrap either way gives torch.remainder's [0, 6).
            var h = numerator / Vector.Max(chroma, tiny) + shift;
            h += Vector.ConditionalSelect(Vector.LessThan(h, Vector<float>.Zero), six, Vector<float>.Zero);
            h -= Vector.ConditionalSelect(Vector.GreaterThanOrEqual(h, six), six, Vector<float>.Zero);
            var rampR = Clamp01(Vector.Abs(h - three) - Vector<float>.One);
            var rampG = Clamp01(two - Vector.Abs(h - two));
            var rampB = Clamp01(two - Vector.Abs(h - four));
            (rampR * chroma + min).StoreUnsafe(ref r, (nuint)k);
            (rampG * chroma + min).StoreUnsafe(ref g, (nuint)k);
            (rampB * chroma + min).StoreUnsafe(ref b, (nuint)k);
        }
    }

    /// <summary>Grayscale: the luma into plane 0 (the caller then reads plane 0 for every channel).</summary>
    private static void ToLuma(Span<float> planes, int stride)
    {
        ref float r = ref MemoryMarshal.GetReference(planes);
        ref float g = ref Unsafe.Add(ref r, stride);
        ref float b = ref Unsafe.Add(ref r, 2 * stride);
        int v = Vector<float>.Count;
        for (int k = 0; k < stride; k += v)
            Luma(Vector.LoadUnsafe(ref r, (nuint)k), Vector.LoadUnsafe(ref g, (nuint)k), Vector.LoadUnsafe(ref b, (nuint)k))
                .StoreUnsafe(ref r, (nuint)k);
    }

    /// <summary>
    /// Solarize (threshold 0.5: min(x, 1 − x)) if asked, then (x − mean)·(1/std): the reciprocal is
    /// within an ulp of torch's division at a fraction of its cost. source may be dest.
    /// </summary>
    private static void Finish(ReadOnlySpan<float> source, Span<float> dest, bool solarize, float mean, float std)
    {
        float inverse = 1f / std;
        ref float x = ref MemoryMarshal.GetReference(source);
        ref float y = ref MemoryMarshal.GetReference(dest);
        var m = new Vector<float>(mean);
        var s = new Vector<float>(inverse);
        int v = Vector<float>.Count, n = dest.Length, k = 0;
        if (solarize)
            for (; k <= n - v; k += v)
            {
                var value = Vector.LoadUnsafe(ref x, (nuint)k);
                ((Vector.Min(value, Vector<float>.One - value) - m) * s).StoreUnsafe(ref y, (nuint)k);
            }
        else
            for (; k <= n - v; k += v)
                ((Vector.LoadUnsafe(ref x, (nuint)k) - m) * s).StoreUnsafe(ref y, (nuint)k);
        for (; k < n; k++)
        {
            float value = Unsafe.Add(ref x, k);
            if (solarize) value = MathF.Min(value, 1f - value);
            Unsafe.Add(ref y, k) = (value - mean) * inverse;
        }
    }
}
