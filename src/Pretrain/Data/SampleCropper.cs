namespace Pretrain.Data;

/// <summary>Cuts every crop of a sample from a single decode. The planner sees the stored image size
/// (crop geometry is defined on it); the decode is then reduced (JPEG DCT scaling) as far as every
/// crop still covers its output size, and limited to the smallest region holding every pixel the
/// crops' filters weigh; crop boxes are mapped onto the decoded pixels.</summary>
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
            return Request(jobs, w, h);
        });
        if (jobs == null)
        {
            (storedW, storedH) = (img.FullWidth, img.FullHeight);
            jobs = plan(storedW, storedH);
        }
        var f = Resampler.ToFloat(img);
        try
        {
            double sx = (double)img.FullWidth / storedW, sy = (double)img.FullHeight / storedH;
            bool scaled = img.FullWidth != storedW || img.FullHeight != storedH;
            foreach (var j in jobs)
            {
                var box = scaled ? j.Box.Scaled(sx, sy, img.FullWidth, img.FullHeight) : j.Box;
                Resampler.Resample(f, box, j.Size, j.Filter, j.Flip, j.Destination.AsSpan(j.Offset, j.Size * j.Size * 3));
            }
        }
        finally { f.Return(); }
    }

    /// <summary>The decode request of a set of crops: their minimum size and the union of the pixels they weigh.</summary>
    public static DecodeRequest Request(CropJob[] jobs, int width, int height)
    {
        var (minW, minH) = MinimumSize(jobs, width, height);
        int x0 = width, y0 = height, x1 = 0, y1 = 0;
        foreach (var j in jobs)
        {
            var f = j.Box.Footprint(j.Size, j.Size, j.Filter);
            x0 = Math.Min(x0, f.X0);
            y0 = Math.Min(y0, f.Y0);
            x1 = Math.Max(x1, f.X1);
            y1 = Math.Max(y1, f.Y1);
        }
        x0 = Math.Max(0, x0); y0 = Math.Max(0, y0);
        x1 = Math.Min(width, x1); y1 = Math.Min(height, y1);
        return new DecodeRequest(minW, minH, x1 > x0 && y1 > y0 ? new PixelRegion(x0, y0, x1, y1) : null);
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
