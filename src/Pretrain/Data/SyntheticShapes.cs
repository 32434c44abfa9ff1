using Pretrain.Common;
using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>
/// The built-in labeled generator: one shape per image, white on black by default (the design measured
/// to let a short MoCo run beat random init; random colours / textures are harder options). Shapes:
/// disc, ring, square, hollow square, triangle, plus, 5-point star, crescent, T, "=". Random position
/// and circumradius 0.22–0.42 of the side; drawn 2x supersampled and average-pooled. Each image is a
/// pure function of (seed, split, index), so it is generated on demand, in parallel by the loader's
/// workers, and cached when the whole split is small.
/// </summary>
public sealed class SyntheticShapes : IDataSplit
{
    public static readonly string[] ShapeNames =
        ["disc", "ring", "square", "hollow_square", "triangle", "plus", "star", "crescent", "T", "equals"];

    private const long CacheLimitBytes = 1L << 30;
    private readonly SyntheticDataConfig _cfg;
    private readonly int _splitId;
    private readonly byte[]?[]? _cache;

    public SyntheticShapes(SyntheticDataConfig cfg, bool train)
    {
        if (cfg.Classes < 1 || cfg.Classes > ShapeNames.Length)
            throw new DataException($"data.synthetic.classes must be 1..{ShapeNames.Length}, got {cfg.Classes}");
        if (cfg.Size < 4) throw new DataException($"data.synthetic.size must be at least 4, got {cfg.Size}");
        int n = train ? cfg.TrainSize : cfg.ValSize;
        if (n <= 0) throw new DataException($"data.synthetic.{(train ? "train_size" : "val_size")} is {n}: the synthetic {(train ? "train" : "val")} set is empty");
        (_cfg, _splitId, Count) = (cfg, train ? 0 : 1, n);
        Classes = ShapeNames.Take(cfg.Classes).ToArray();
        Description = $"synthetic {(train ? "train" : "val")} ({n} images {cfg.Size}x{cfg.Size}, {cfg.Classes} classes, seed {cfg.Seed})";
        if ((long)n * cfg.Size * cfg.Size * 3 <= CacheLimitBytes) _cache = new byte[n][];
    }

    public string Description { get; }
    public int Count { get; }
    public IReadOnlyList<string> Classes { get; }
    // Balanced classes, interleaved so any prefix or stride is balanced too.
    public long Label(int index) => index % _cfg.Classes;
    public string SampleName(int index) => $"synthetic {(_splitId == 0 ? "train" : "val")} #{index}";
    public (int Width, int Height) ImageSize(int index) => (_cfg.Size, _cfg.Size);

    public PixelImage Load(int index, DecodePlanner? planner = null)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
        var px = _cache?[index];
        if (px == null)
        {
            px = Render(index);
            if (_cache != null) _cache[index] = px; // benign race: every writer stores identical bytes
        }
        return new PixelImage(_cfg.Size, _cfg.Size, 3, px);
    }

    private byte[] Render(int index)
    {
        int s = _cfg.Size;
        var rng = new KeyedRandom(KeyedRandom.Key(_cfg.Seed, _splitId, index));
        int shape = (int)Label(index);
        double r = rng.Uniform(0.22, 0.42) * s;
        double cx = rng.Uniform(r, s - r), cy = rng.Uniform(r, s - r);
        double theta = _cfg.Rotate ? rng.Uniform(0, 2 * Math.PI) : 0.0;
        Span<double> fg = stackalloc double[] { 1, 1, 1 };
        Span<double> bg = stackalloc double[] { 0, 0, 0 };
        if (_cfg.RandomColors)
        {
            // Re-draw (a bounded number of times) so the shape stays visible against its background.
            for (int t = 0; t < 8; t++)
            {
                for (int c = 0; c < 3; c++) { fg[c] = rng.NextDouble(); bg[c] = rng.NextDouble(); }
                if (Math.Abs(fg[0] + fg[1] + fg[2] - bg[0] - bg[1] - bg[2]) >= 0.9) break;
            }
        }
        Span<double> tex = stackalloc double[6];
        Span<double> texColor = stackalloc double[] { 0.6, 0.6, 0.6 };
        if (_cfg.TexturedBackground)
        {
            for (int k = 0; k < 6; k++) tex[k] = rng.Uniform(-1, 1);
            if (_cfg.RandomColors) for (int c = 0; c < 3; c++) texColor[c] = rng.Uniform(0.3, 1.0);
        }

        double cos = Math.Cos(theta), sin = Math.Sin(theta), inv = 1.0 / r;
        var px = new byte[s * s * 3];
        for (int y = 0; y < s; y++)
        for (int x = 0; x < s; x++)
        {
            int inside = 0;
            for (int sy = 0; sy < 2; sy++)
            for (int sx = 0; sx < 2; sx++)
            {
                double dx = (x + 0.25 + 0.5 * sx - cx) * inv, dy = (y + 0.25 + 0.5 * sy - cy) * inv;
                if (Inside(shape, cos * dx + sin * dy, -sin * dx + cos * dy)) inside++;
            }
            double a = inside * 0.25;
            double t = 0;
            if (_cfg.TexturedBackground)
            {
                double fx = (x + 0.5) / s * 2 * Math.PI, fy = (y + 0.5) / s * 2 * Math.PI;
                t = 0.5 + 0.25 * Math.Sin(3 * tex[0] * fx + 3 * tex[1] * fy + 3 * tex[2])
                        + 0.25 * Math.Sin(5 * tex[3] * fx + 5 * tex[4] * fy + 3 * tex[5]);
            }
            int o = (y * s + x) * 3;
            for (int c = 0; c < 3; c++)
            {
                double back = _cfg.TexturedBackground ? 0.5 * bg[c] + 0.5 * t * texColor[c] : bg[c];
                double v = back * (1 - a) + fg[c] * a;
                px[o + c] = (byte)Math.Clamp(Math.Round(v * 255), 0, 255);
            }
        }
        return px;
    }

    private static readonly double Star36Cos = Math.Cos(Math.PI / 5), Star36Sin = Math.Sin(Math.PI / 5);
    private const double StarInner = 0.381966; // inner radius of a regular pentagram with outer radius 1

    /// <summary>Is the point (u, v), in units of the circumradius around the centre (v down), in the shape.
    /// Every shape lies inside the unit circle, so any rotation stays inside the image.</summary>
    public static bool Inside(int shape, double u, double v)
    {
        double au = Math.Abs(u), av = Math.Abs(v);
        switch (shape)
        {
            case 0: return u * u + v * v <= 1.0;
            case 1: { double q = u * u + v * v; return q <= 1.0 && q >= 0.36; }
            case 2: return au <= 0.7071 && av <= 0.7071;
            case 3: return au <= 0.7071 && av <= 0.7071 && !(au <= 0.39 && av <= 0.39);
            case 4:
                // Equilateral, apex up: inradius 0.5, edge normals at 90°, 210°, 330° (v down).
                return v <= 0.5 && (0.8660254 * u - 0.5 * v) <= 0.5 && (-0.8660254 * u - 0.5 * v) <= 0.5;
            case 5: return (au <= 0.3 && av <= 0.95) || (av <= 0.3 && au <= 0.95);
            case 6:
            {
                double rho = Math.Sqrt(u * u + v * v);
                if (rho > 1.0) return false;
                // Fold the angle (from the top point) into [0°, 36°] and test against the edge from the
                // outer point (1, 0) to the inner vertex at 36°.
                double ang = Math.Atan2(u, -v);
                double sector = 2 * Math.PI / 5;
                ang = ((ang % sector) + sector) % sector;
                if (ang > sector / 2) ang = sector - ang;
                double px = rho * Math.Cos(ang), py = rho * Math.Sin(ang);
                double ex = StarInner * Star36Cos - 1.0, ey = StarInner * Star36Sin;
                return ex * py - ey * (px - 1.0) >= 0.0; // the origin's side
            }
            case 7: return u * u + v * v <= 1.0 && (u - 0.45) * (u - 0.45) + v * v > 0.85 * 0.85;
            case 8: return (v >= -0.7 && v <= -0.35 && au <= 0.7) || (au <= 0.2 && v >= -0.35 && v <= 0.95);
            case 9: return au <= 0.85 && av >= 0.15 && av <= 0.5;
            default: throw new ArgumentOutOfRangeException(nameof(shape));
        }
    }
}
