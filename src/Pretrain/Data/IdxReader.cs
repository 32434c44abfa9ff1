using System.Buffers.Binary;
using System.IO.Compression;

namespace Pretrain.Data;

/// <summary>MNIST-family IDX files (plain or .gz): train-images-idx3-ubyte + train-labels-idx1-ubyte,
/// t10k-*. Big-endian header: 0, 0, type (0x08 = ubyte), rank, then rank int32 dims. Gray images are
/// replicated to RGB.</summary>
public static class IdxReader
{
    /// <summary>The images file of a split in a folder: name contains train-images (train) or
    /// t10k-images / test-images (val), plain or .gz; null when absent.</summary>
    public static string? FindImages(string folder, bool train)
    {
        if (!Directory.Exists(folder)) throw new DataException($"IDX folder not found: {folder}");
        string[] keys = train ? ["train-images"] : ["t10k-images", "test-images"];
        return Directory.GetFiles(folder)
            .Where(f => keys.Any(k => Path.GetFileName(f).Contains(k, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(f => f.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) // prefer the unpacked file
            .ThenBy(f => f, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    /// <summary>The labels file next to an images file (images→labels, idx3→idx1), plain or .gz.</summary>
    public static string LabelsFor(string imagesPath)
    {
        var dir = Path.GetDirectoryName(imagesPath)!;
        var name = Path.GetFileName(imagesPath);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) name = name[..^3];
        var labelName = name.Replace("images", "labels", StringComparison.OrdinalIgnoreCase)
                            .Replace("idx3", "idx1", StringComparison.OrdinalIgnoreCase);
        foreach (var candidate in new[] { labelName, labelName + ".gz" })
        {
            var p = Path.Combine(dir, candidate);
            if (File.Exists(p)) return p;
        }
        throw new DataException($"IDX labels file {labelName}(.gz) not found next to {imagesPath}");
    }

    public static InMemorySplit Read(string imagesPath, string labelsPath)
    {
        var (imgDims, img, imgOff) = ReadTensor(imagesPath);
        var (lblDims, lbl, lblOff) = ReadTensor(labelsPath);
        if (imgDims.Length is not (3 or 4) || (imgDims.Length == 4 && imgDims[3] is not (1 or 3)))
            throw new DataException($"IDX images must be N x H x W (or N x H x W x 1|3), got {string.Join("x", imgDims)}: {imagesPath}");
        if (lblDims.Length != 1) throw new DataException($"IDX labels must be 1-D, got rank {lblDims.Length}: {labelsPath}");
        int n = imgDims[0], h = imgDims[1], w = imgDims[2], c = imgDims.Length == 4 ? imgDims[3] : 1;
        if (lblDims[0] != n) throw new DataException($"IDX has {n} images but {lblDims[0]} labels: {labelsPath}");
        if (n == 0) throw new DataException($"IDX file holds no images: {imagesPath}");
        var labels = new long[n];
        for (int i = 0; i < n; i++) labels[i] = lbl[lblOff + i];
        long px = (long)h * w;
        var rgb = new byte[n * px * 3];
        if (c == 3) Array.Copy(img, imgOff, rgb, 0, rgb.LongLength);
        else
            for (long i = 0; i < n * px; i++)
            {
                byte v = img[imgOff + i];
                rgb[3 * i] = v; rgb[3 * i + 1] = v; rgb[3 * i + 2] = v;
            }
        int classes = (int)labels.Max() + 1;
        return new InMemorySplit($"idx {imagesPath}", imagesPath, w, h, rgb, labels,
            Enumerable.Range(0, classes).Select(i => i.ToString()).ToArray());
    }

    private static (int[] Dims, byte[] Data, int Offset) ReadTensor(string path)
    {
        if (!File.Exists(path)) throw new DataException($"IDX file not found: {path}");
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
            if (data.Length >= 2 && data[0] == 0x1f && data[1] == 0x8b)
            {
                using var gz = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
                using var ms = new MemoryStream();
                gz.CopyTo(ms);
                data = ms.ToArray();
            }
        }
        catch (InvalidDataException e) { throw new DataException($"IDX file is a corrupt gzip ({e.Message}): {path}", e); }
        if (data.Length < 4 || data[0] != 0 || data[1] != 0)
            throw new DataException($"not an IDX file (bad magic): {path}");
        if (data[2] != 0x08) throw new DataException($"IDX element type 0x{data[2]:x2} unsupported (only ubyte 0x08): {path}");
        int rank = data[3];
        int offset = 4 + 4 * rank;
        if (rank == 0 || data.Length < offset) throw new DataException($"IDX header is truncated: {path}");
        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(4 + 4 * i));
            if (dims[i] < 0) throw new DataException($"IDX dimension {i} is negative: {path}");
            total *= dims[i];
        }
        if (data.Length - offset < total)
            throw new DataException($"IDX file is truncated ({data.Length - offset} of {total} data bytes): {path}");
        return (dims, data, offset);
    }
}
