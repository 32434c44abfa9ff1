using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>The interpolation kernels (<see cref="ResampleFilter"/>) as PIL defines them (bicubic with a = -0.5), widened by the scale factor
/// when downscaling (antialias, as PIL and torchvision's antialias=True).</summary>
public static class ResampleFilters
{
    public static double Support(ResampleFilter f) => f == ResampleFilter.Bilinear ? 1.0 : 2.0;

    public static double Weight(ResampleFilter f, double x)
    {
        x = Math.Abs(x);
        if (f == ResampleFilter.Bilinear) return x < 1.0 ? 1.0 - x : 0.0;
        const double a = -0.5;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
        if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
        return 0.0;
    }
}
