using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;

namespace Pretrain.Augment;

/// <summary>
/// Per-sample photometric decisions of one view of a batch, drawn on the host from each sample's
/// key (KeyedRandom stream 2; stream 1 is the crop's), so they are a pure function of
/// (seed, epoch, sample, view, crop) whatever the batch composition.
/// Every value is drawn whether or not its op applies, so each decision keeps a fixed position in the
/// stream: jitter?, order (permutation of 4), brightness, contrast, saturation, hue, grayscale?,
/// blur?, σ, solarize?.
/// </summary>
public sealed record PhotometricParams(
    bool[] Jitter,
    int[][] Order,
    double[] Brightness,
    double[] Contrast,
    double[] Saturation,
    double[] Hue,
    bool[] Grayscale,
    bool[] Blur,
    double[] Sigma,
    bool[] Solarize,
    // Upper end of the view's σ range: fixes the blur kernel radius for the whole view.
    double SigmaMax)
{
    /// <summary>KeyedRandom stream of the device stage.</summary>
    public const long Stream = 2;

    /// <summary>Indices in Order: torchvision ColorJitter's fn_idx numbering.</summary>
    public const int BrightnessOp = 0, ContrastOp = 1, SaturationOp = 2, HueOp = 3;

    public int Count => Jitter.Length;

    /// <summary>Throws unless sample i's jitter order is a permutation of the four ops.</summary>
    public void CheckOrder(int i)
    {
        int seen = 0;
        if (Order[i] is { Length: 4 } order)
            foreach (var op in order)
                if (op is >= BrightnessOp and <= HueOp) seen |= 1 << op;
        if (seen != 0b1111) throw new ArgumentException($"sample {i}: order must be a permutation of 0..3");
    }

    public static PhotometricParams Draw(ViewConfig v, ulong[] keys)
    {
        if (v.BlurSigma is not { Length: 2 } || v.BlurSigma[0] < 0 || v.BlurSigma[1] < v.BlurSigma[0])
            throw new ArgumentException("blur_sigma must be [lo, hi] with 0 ≤ lo ≤ hi");
        if (v.Brightness < 0 || v.Contrast < 0 || v.Saturation < 0 || v.Hue is < 0 or > 0.5)
            throw new ArgumentException("brightness/contrast/saturation must be ≥ 0 and hue in [0, 0.5]");
        int n = keys.Length;
        var p = new PhotometricParams(new bool[n], new int[n][], new double[n], new double[n], new double[n],
            new double[n], new bool[n], new bool[n], new double[n], new bool[n], v.BlurSigma[1]);
        for (int i = 0; i < n; i++)
        {
            var rng = new KeyedRandom(KeyedRandom.Key((long)keys[i], Stream));
            p.Jitter[i] = rng.Bernoulli(v.JitterP);
            p.Order[i] = rng.Permutation(4);
            p.Brightness[i] = rng.Uniform(Math.Max(0, 1 - v.Brightness), 1 + v.Brightness);
            p.Contrast[i] = rng.Uniform(Math.Max(0, 1 - v.Contrast), 1 + v.Contrast);
            p.Saturation[i] = rng.Uniform(Math.Max(0, 1 - v.Saturation), 1 + v.Saturation);
            p.Hue[i] = rng.Uniform(-v.Hue, v.Hue);
            p.Grayscale[i] = rng.Bernoulli(v.GrayscaleP);
            p.Blur[i] = rng.Bernoulli(v.BlurP);
            p.Sigma[i] = rng.Uniform(v.BlurSigma[0], v.BlurSigma[1]);
            p.Solarize[i] = rng.Bernoulli(v.SolarizeP);
        }
        return p;
    }

    /// <summary>Parameters that change nothing (tests and explicit construction start from here).</summary>
    public static PhotometricParams Neutral(int n, double sigmaMax = 2.0)
    {
        var order = new int[n][];
        for (int i = 0; i < n; i++) order[i] = [0, 1, 2, 3];
        return new PhotometricParams(new bool[n], order, Filled(n, 1.0), Filled(n, 1.0), Filled(n, 1.0),
            new double[n], new bool[n], new bool[n], Filled(n, 0.1), new bool[n], sigmaMax);
    }

    private static double[] Filled(int n, double v)
    {
        var a = new double[n];
        Array.Fill(a, v);
        return a;
    }
}
