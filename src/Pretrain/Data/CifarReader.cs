namespace Pretrain.Data;

/// <summary>The official CIFAR binary format: records of label byte(s) then 3072 bytes of R, G, B planes
/// (32x32 each). CIFAR-10: data_batch_1..5.bin / test_batch.bin with one label byte; CIFAR-100:
/// train.bin / test.bin with coarse then fine label byte.</summary>
public static class CifarReader
{
    public const int Side = 32;
    private const int PlaneSize = Side * Side;

    /// <summary>The folder holding the .bin files: <paramref name="root"/> or its official subfolder.</summary>
    public static string ResolveFolder(string root, bool cifar100)
    {
        var sub = Path.Combine(root, cifar100 ? "cifar-100-binary" : "cifar-10-batches-bin");
        var marker = cifar100 ? "train.bin" : "data_batch_1.bin";
        if (File.Exists(Path.Combine(root, marker))) return root;
        if (File.Exists(Path.Combine(sub, marker))) return sub;
        throw new DataException($"{(cifar100 ? "CIFAR-100" : "CIFAR-10")} binary files ({marker}) not found in {root}");
    }

    public static InMemorySplit ReadCifar10(string folder, bool train)
    {
        var files = train
            ? Enumerable.Range(1, 5).Select(i => Path.Combine(folder, $"data_batch_{i}.bin")).ToArray()
            : [Path.Combine(folder, "test_batch.bin")];
        var classes = ReadNames(Path.Combine(folder, "batches.meta.txt"), 10);
        return Read(files, labelBytes: 1, labelOffset: 0, classes, $"cifar10 {(train ? "train" : "test")} {folder}");
    }

    /// <param name="fine">fine (100 classes) or coarse (20 superclasses) labels.</param>
    public static InMemorySplit ReadCifar100(string folder, bool train, bool fine)
    {
        var file = Path.Combine(folder, train ? "train.bin" : "test.bin");
        var classes = fine ? ReadNames(Path.Combine(folder, "fine_label_names.txt"), 100)
                           : ReadNames(Path.Combine(folder, "coarse_label_names.txt"), 20);
        return Read([file], labelBytes: 2, labelOffset: fine ? 1 : 0, classes, $"cifar100 {(train ? "train" : "test")} {folder}");
    }

    private static string[] ReadNames(string path, int count)
    {
        var names = File.Exists(path)
            ? File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : [];
        return names.Length == count ? names : Enumerable.Range(0, count).Select(i => i.ToString()).ToArray();
    }

    private static InMemorySplit Read(string[] files, int labelBytes, int labelOffset, string[] classes, string description)
    {
        int record = labelBytes + 3 * PlaneSize;
        var blobs = new List<byte[]>();
        foreach (var f in files)
        {
            if (!File.Exists(f)) throw new DataException($"CIFAR file not found: {f}");
            var b = File.ReadAllBytes(f);
            if (b.Length == 0 || b.Length % record != 0)
                throw new DataException($"CIFAR file is truncated or not CIFAR binary ({b.Length} bytes, not a multiple of the {record}-byte record): {f}");
            blobs.Add(b);
        }
        int n = blobs.Sum(b => b.Length / record);
        var pixels = new byte[(long)n * PlaneSize * 3];
        var labels = new long[n];
        int k = 0;
        for (int fi = 0; fi < blobs.Count; fi++)
        {
            var b = blobs[fi];
            for (int r = 0; r < b.Length / record; r++, k++)
            {
                int o = r * record;
                labels[k] = b[o + labelOffset];
                if (labels[k] >= classes.Length)
                    throw new DataException($"CIFAR record {r} has label {labels[k]} (>= {classes.Length} classes): {files[fi]}");
                var src = b.AsSpan(o + labelBytes, 3 * PlaneSize);
                var dst = pixels.AsSpan(k * PlaneSize * 3, PlaneSize * 3);
                for (int p = 0; p < PlaneSize; p++)
                {
                    dst[3 * p] = src[p];
                    dst[3 * p + 1] = src[PlaneSize + p];
                    dst[3 * p + 2] = src[2 * PlaneSize + p];
                }
            }
        }
        return new InMemorySplit(description, description, Side, Side, pixels, labels, classes);
    }
}
