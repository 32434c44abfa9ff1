namespace Pretrain.Data;

/// <summary>Cuts every crop of a sample from a single decode. The planner sees the stored image size
/// (crop geometry is defined on it); the decode is then reduced (JPEG DCT scaling) as far as every
/// crop still covers its output size, and crop boxes are mapped onto the decoded pixels.</summary>
public static class SampleCropper
{
    public static void Cut(IDataSplit split, int index, Func<int, int, CropJob[]> plan)
    {
        CropJob[]? jobs = null;
        int storedW = 0, storedH = 0;
        var img = split.Load(index, (w, h) =>
        {
            (storedW, storedH) = (w, h);
            jobs = plan(w, h);
            return MinimumSize(jobs, w, h);
        });
        if (jobs == null)
        {
            (storedW, storedH) = (img.Width, img.Height);
            jobs = plan(storedW, storedH);
        }
        var f = Resampler.ToFloat(img);
        try
        {
            double sx = (double)img.Width / storedW, sy = (double)img.Height / storedH;
            bool scaled = img.Width != storedW || img.Height != storedH;
            foreach (var j in jobs)
            {
                var box = scaled ? j.Box.Scaled(sx, sy, img.Width, img.Height) : j.Box;
                Resampler.Resample(f, box, j.Size, j.Filter, j.Flip, j.Destination.AsSpan(j.Offset, j.Size * j.Size * 3));
            }
        }
        finally { f.Return(); }
    }

    /// <summary>The smallest decoded size at which every crop region still spans at least its output
    /// size in both directions (so reduced decoding never turns a downscale into an upscale).</summary>
    public static (int Width, int Height) MinimumSize(CropJob[] jobs, int width, int height)
    {
        double k = 0;
        foreach (var j in jobs)
            k = Math.Max(k, Math.Max(j.Size / j.Box.Width, j.Size / j.Box.Height));
        k = Math.Min(k, 1.0);
        return ((int)Math.Ceiling(width * k), (int)Math.Ceiling(height * k));
    }
}
