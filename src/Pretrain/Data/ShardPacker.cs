using System.Formats.Tar;
using System.Globalization;
using System.Text.Json;
using Pretrain.Common;
using SkiaSharp;

namespace Pretrain.Data;

/// <summary>One split written as shards by <see cref="ShardPacker"/>.</summary>
public sealed record PackedSplit(string Name, string Folder, int Samples, int Shards, long Bytes, IReadOnlyList<string> Unreadable)
{
    public string Line() =>
        $"{Name}: {ProgressFormat.Number(Samples)} samples in {Shards} shard{(Shards == 1 ? "" : "s")} ({ShardPacker.FormatSize(Bytes)}) in {Folder}" +
        (Unreadable.Count > 0 ? $"; {Unreadable.Count} unreadable sample{(Unreadable.Count == 1 ? "" : "s")} left out" : "");
}

/// <summary>
/// Library side of `pretrain data pack`: writes a split as WebDataset tar shards (`train-000000.tar`, ...)
/// of about a target size, each sample `KEY.EXT` (the stored bytes of an image file or tar member, copied
/// undecoded; raw pixels — CIFAR, IDX, synthetic — encoded PNG by Skia) followed by `KEY.cls` (the label,
/// an integer) when labelled. KEY is the sample's index in the source split, zero-padded. The order is a
/// fixed shuffle of the split (KeyedRandom(seed, "PACK")), so that each shard mixes classes (a
/// class-sorted folder would otherwise give shards of one class, and a shuffle buffer could not undo
/// that) and the same config and seed write the same bytes. Next to the shards: `classes.txt` (class
/// names by label), `index.json` (counts per shard, the source, the unreadable samples left out) and,
/// per shard, `train-000000.idx` (each sample's key, extension, data offset, length and label, and the
/// tar's size), which lets <see cref="ShardSplit.Open"/> skip reading the tar headers. Shards are
/// written as `.tar.tmp` and renamed when complete (after their `.idx`).
/// </summary>
public static class ShardPacker
{
    public const string IndexFile = "index.json";
    private const long PackStream = 0x5041434B; // "PACK"
    private const int Block = 512;

    /// <summary>Writes the train split to output/train and the val split (when there is one) to output/val.</summary>
    public static IReadOnlyList<PackedSplit> Pack(DataSplits splits, string output, long shardBytes, long seed, int workers,
        bool failOnError, IProgressSink? progress = null, Action<string>? log = null)
    {
        var packed = new List<PackedSplit> { PackSplit(splits.Train, "train", Path.Combine(output, "train"), shardBytes, seed, workers, failOnError, progress, log) };
        if (splits.Val != null)
            packed.Add(PackSplit(splits.Val, "val", Path.Combine(output, "val"), shardBytes, seed, workers, failOnError, progress, log));
        return packed;
    }

    public static PackedSplit PackSplit(IDataSplit split, string name, string folder, long shardBytes, long seed, int workers,
        bool failOnError, IProgressSink? progress = null, Action<string>? log = null)
    {
        if (shardBytes < 1) throw new ArgumentOutOfRangeException(nameof(shardBytes), "must be positive");
        Directory.CreateDirectory(folder);
        if (Directory.EnumerateFiles(folder, "*.tar").Any())
            throw new DataException($"{folder} already holds .tar shards: pack into an empty folder");
        var order = new KeyedRandom(KeyedRandom.Key(seed, PackStream)).Permutation(split.Count);
        int width = Math.Max(6, (split.Count - 1).ToString(CultureInfo.InvariantCulture).Length);
        var reporter = new ProgressReporter(progress, $"pack {name}", split.Count);
        var shards = new List<(string File, int Samples, long Bytes)>();
        var unreadable = new List<string>();
        ShardFile? current = null;
        int written = 0;
        long total = 0;
        try
        {
            foreach (var item in OrderedParallel.Run(0, split.Count, p => Encode(split, order[p], width), workers, Math.Max(2, 2 * workers)))
            {
                reporter.Advance(1);
                if (item.Error is { } error)
                {
                    if (failOnError) throw new DataException($"unreadable sample ({error}): {item.Name}");
                    unreadable.Add(item.Name);
                    log?.Invoke($"skipping unreadable sample ({error}): {item.Name}");
                    continue;
                }
                long size = Block + Padded(item.Bytes!.Length) + (item.Label >= 0 ? 2 * Block : 0);
                if (current != null && current.Bytes + size > shardBytes)
                {
                    shards.Add(current.Close());
                    current = null;
                }
                current ??= new ShardFile(Path.Combine(folder, $"{name}-{shards.Count.ToString("D6", CultureInfo.InvariantCulture)}.tar"));
                current.AddSample(item.Key, item.Extension!, item.Bytes, item.Label);
                written++;
            }
            if (current != null) shards.Add(current.Close());
            current = null;
        }
        finally
        {
            current?.Abandon();
        }
        reporter.Finish();
        if (written == 0) throw new DataException($"no readable sample to pack in {split.Description}");
        total = shards.Sum(s => new FileInfo(s.File).Length);
        if (split.Classes.Count > 0)
            File.WriteAllLines(Path.Combine(folder, ShardSplit.ClassesFile), split.Classes);
        var index = new Dictionary<string, object>
        {
            ["format"] = "webdataset",
            ["split"] = name,
            ["source"] = split.Description,
            ["samples"] = written,
            ["classes"] = split.Classes.Count,
            ["shard_size_target"] = shardBytes,
            ["order_seed"] = seed,
            ["shards"] = shards.Select(s => new Dictionary<string, object>
            {
                ["file"] = Path.GetFileName(s.File), ["samples"] = s.Samples, ["bytes"] = s.Bytes,
            }).ToArray(),
            ["unreadable"] = unreadable,
        };
        File.WriteAllText(Path.Combine(folder, IndexFile), JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return new PackedSplit(name, folder, written, shards.Count, total, unreadable);
    }

    private sealed record Item(string Key, string Name, string? Extension, byte[]? Bytes, long Label, string? Error);

    private static Item Encode(IDataSplit split, int index, int width)
    {
        var key = index.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0');
        var name = split.SampleName(index);
        try
        {
            byte[] bytes;
            string ext;
            if (Stored(split, index) is var (source, at))
            {
                bytes = source.EncodedBytes(at);
                // The header must parse (size within data.max_image_pixels): what cannot be opened is not packed.
                split.ImageSize(index);
                ext = ImageFormats.Extension(ImageFormats.Sniff(bytes)) ?? NonEmpty(source.EncodedExtension(at));
            }
            else
            {
                bytes = EncodePng(split.Load(index));
                ext = "png";
            }
            return new Item(key, name, ext, bytes, split.Label(index), null);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            return new Item(key, name, null, null, -1, e.Message.ReplaceLineEndings(" "));
        }
    }

    private static string NonEmpty(string ext) => ext.Length > 0 && !ext.Contains('.') ? ext : "img";

    /// <summary>The encoded source under any subsets, and the index there.</summary>
    private static (IEncodedSamples Source, int Index)? Stored(IDataSplit split, int index)
    {
        while (split is SubsetSplit sub)
        {
            index = sub.Indices[index];
            split = sub.Inner;
        }
        return split is IEncodedSamples encoded ? (encoded, index) : null;
    }

    /// <summary>A decoded image as PNG (Skia, lossless).</summary>
    public static byte[] EncodePng(PixelImage img)
    {
        byte[] rgbx;
        if (img.Channels == 4) rgbx = img.Pixels;
        else
        {
            rgbx = new byte[img.Width * img.Height * 4];
            var src = img.Pixels;
            for (int p = 0, s = 0, d = 0; p < img.Width * img.Height; p++, s += 3, d += 4)
            {
                rgbx[d] = src[s];
                rgbx[d + 1] = src[s + 1];
                rgbx[d + 2] = src[s + 2];
                rgbx[d + 3] = 255;
            }
        }
        var info = new SKImageInfo(img.Width, img.Height, SKColorType.Rgb888x, SKAlphaType.Opaque);
        using var image = SKImage.FromPixelCopy(info, rgbx, img.Width * 4);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    private static long Padded(long n) => (n + Block - 1) / Block * Block;

    /// <summary>One shard being written: `.tar.tmp`, renamed to `.tar` by Close.</summary>
    private sealed class ShardFile
    {
        private readonly string _path;
        private readonly FileStream _stream;
        private readonly TarWriter _writer;

        public ShardFile(string path)
        {
            _path = path;
            _stream = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            _writer = new TarWriter(_stream, TarEntryFormat.Ustar, leaveOpen: true);
        }

        private readonly System.Text.StringBuilder _index = new();
        public int Samples;
        public long Bytes => _stream.Position;

        /// <summary>KEY.EXT, then KEY.cls when labelled; the sidecar index line records where the image's data starts.</summary>
        public void AddSample(string key, string ext, byte[] image, long label)
        {
            long dataAt = _stream.Position + Block; // a ustar entry is one 512-byte header, then the data
            Add($"{key}.{ext}", image);
            var labelText = label >= 0 ? label.ToString(CultureInfo.InvariantCulture) : "";
            if (label >= 0) Add($"{key}.cls", System.Text.Encoding.ASCII.GetBytes(labelText));
            _index.Append(key).Append('\t').Append(ext).Append('\t').Append(dataAt.ToString(CultureInfo.InvariantCulture))
                  .Append('\t').Append(image.Length.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(labelText).Append('\n');
            Samples++;
        }

        private void Add(string name, byte[] data)
        {
            using var ms = new MemoryStream(data, writable: false);
            _writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = ms,
                ModificationTime = DateTimeOffset.UnixEpoch,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            });
        }

        public (string File, int Samples, long Bytes) Close()
        {
            _writer.Dispose();
            _stream.Flush(flushToDisk: true);
            long bytes = _stream.Length;
            _stream.Dispose();
            File.WriteAllText(ShardSplit.SidecarPath(_path), ShardSplit.SidecarHeader(bytes) + "\n" + _index);
            File.Move(_path + ".tmp", _path, overwrite: false);
            return (_path, Samples, bytes);
        }

        public void Abandon()
        {
            try
            {
                _writer.Dispose();
                _stream.Dispose();
                File.Delete(_path + ".tmp");
                File.Delete(ShardSplit.SidecarPath(_path));
            }
            catch (IOException) { }
        }
    }

    /// <summary>"1GB", "500MB", "64KiB", "1.5GB", "4096": bytes (KB/MB/GB/TB powers of 1000, KiB/MiB/GiB/TiB of 1024, B or none: bytes).</summary>
    public static bool TryParseSize(string text, out long bytes)
    {
        bytes = 0;
        var t = text.Trim();
        int end = t.Length;
        while (end > 0 && char.IsLetter(t[end - 1])) end--;
        var unit = t[end..].Trim().ToUpperInvariant();
        if (!double.TryParse(t[..end].Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return false;
        double factor = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" => 1e3, "M" or "MB" => 1e6, "G" or "GB" => 1e9, "T" or "TB" => 1e12,
            "KIB" => 1024.0, "MIB" => 1024.0 * 1024, "GIB" => 1024.0 * 1024 * 1024, "TIB" => 1024.0 * 1024 * 1024 * 1024,
            _ => double.NaN,
        };
        double b = Math.Round(value * factor);
        if (!(b >= 1 && b <= long.MaxValue / 2)) return false;
        bytes = (long)b;
        return true;
    }

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1_000_000_000 => $"{bytes / 1e9:F2} GB",
        >= 1_000_000 => $"{bytes / 1e6:F1} MB",
        >= 1_000 => $"{bytes / 1e3:F1} kB",
        _ => $"{bytes} B",
    };
}
