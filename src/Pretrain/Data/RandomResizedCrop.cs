using Pretrain.Common;

namespace Pretrain.Data;

/// <summary>torchvision's RandomResizedCrop.get_params, draw for draw: up to 10 tries of (area uniform in
/// scale·area, log-uniform aspect ratio, round-half-even sizes, uniform offsets), else a centre crop
/// whose aspect ratio is clamped to the ratio bounds.</summary>
public static class RandomResizedCrop
{
    public static CropBox Sample(int width, int height, double scaleMin, double scaleMax, double ratioMin, double ratioMax,
        ref KeyedRandom rng)
    {
        double area = (double)width * height;
        double logLo = Math.Log(ratioMin), logHi = Math.Log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * rng.Uniform(scaleMin, scaleMax);
            double aspect = Math.Exp(rng.Uniform(logLo, logHi));
            int w = (int)Math.Round(Math.Sqrt(target * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(target / aspect), MidpointRounding.ToEven);
            if (w > 0 && w <= width && h > 0 && h <= height)
            {
                int i = rng.NextInt(0, height - h + 1);
                int j = rng.NextInt(0, width - w + 1);
                return new CropBox(j, i, w, h);
            }
        }
        return CenterFallback(width, height, ratioMin, ratioMax);
    }

    public static CropBox CenterFallback(int width, int height, double ratioMin, double ratioMax)
    {
        double inRatio = (double)width / height;
        int w, h;
        if (inRatio < Math.Min(ratioMin, ratioMax))
        {
            w = width;
            h = (int)Math.Round(w / Math.Min(ratioMin, ratioMax), MidpointRounding.ToEven);
        }
        else if (inRatio > Math.Max(ratioMin, ratioMax))
        {
            h = height;
            w = (int)Math.Round(h * Math.Max(ratioMin, ratioMax), MidpointRounding.ToEven);
        }
        else
        {
            w = width;
            h = height;
        }
        return new CropBox((width - w) / 2, (height - h) / 2, w, h);
    }
}
