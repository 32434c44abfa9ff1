using System.Formats.Tar;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace Pretrain.Data;

/// <summary>
/// Tar shards in the WebDataset layout (`KEY.jpg` + `KEY.cls` members next to each other; the key is the
/// member name up to its first dot) as a split. Opening reads the tar headers once with
/// System.Formats.Tar (members' data are skipped by seeking; only the few bytes of each `.cls` are read),
/// or the shard's sidecar `.idx` when `data pack` wrote one that matches the tar's size, into an
/// in-memory index of (shard, offset, length, label); a sample's bytes are then one positioned
/// read inside its shard. The loader visits shards as streams (see <see cref="ShardOrder"/>), so reads
/// move forward through each shard. Labels: the integer in `KEY.cls`, or a class name listed in the
/// shards' folder's `classes.txt` (which also names integer labels); shards without `.cls` members are
/// unlabelled. A member that is missing (no image, or no `.cls` in labelled shards), truncated or
/// unparsable is an unreadable sample (data.on_error), as is the rest of a shard after a corrupt header.
/// </summary>
public sealed class ShardSplit : IDataSplit, IEncodedSamples
{
    public const string ClassesFile = "classes.txt";
    private static readonly HashSet<string> ImageExtensions =
        ImageFolderReader.Extensions.Select(e => e.TrimStart('.')).ToHashSet(StringComparer.Ordinal);

    private readonly string[] _shards;
    private readonly Sample[] _samples;
    private readonly Dictionary<int, string> _problems;
    private readonly IImageDecoder _decoder;
    private readonly ThreadLocal<OpenShard> _open = new(() => new OpenShard());

    private readonly record struct Sample(int Shard, long Offset, int Length, long Label, string Key, string Extension);

    private sealed class OpenShard
    {
        public int Shard = -1;
        public SafeFileHandle? Handle;
    }

    private ShardSplit(string description, string[] shards, Sample[] samples, int[] starts, Dictionary<int, string> problems,
        IReadOnlyList<string> classes, IImageDecoder decoder)
    {
        (Description, _shards, _samples, ShardStarts, _problems, Classes, _decoder) =
            (description, shards, samples, starts, problems, classes, decoder);
    }

    public string Description { get; }
    public int Count => _samples.Length;
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<string> ShardFiles => _shards;
    /// <summary>Samples of shard s are indices [ShardStarts[s], ShardStarts[s + 1]), in stored order.</summary>
    public int[] ShardStarts { get; }
    /// <summary>Samples found unreadable while indexing, by index: reason.</summary>
    public IReadOnlyDictionary<int, string> IndexProblems => _problems;

    public long Label(int index) => _samples[index].Label;
    public string Key(int index) => _samples[index].Key;
    public string SampleName(int index) => $"{_shards[_samples[index].Shard]}:{_samples[index].Key}";
    public (int Width, int Height) ImageSize(int index) => _decoder.ReadSize(EncodedBytes(index));
    public PixelImage Load(int index, DecodePlanner? planner = null) => _decoder.Decode(EncodedBytes(index), planner);

    /// <summary>The image member's extension as stored (jpg, png, ...).</summary>
    public string EncodedExtension(int index) => _samples[index].Extension;

    /// <summary>The image member's bytes: one positioned read; throws InvalidDataException for an unreadable sample.</summary>
    public byte[] EncodedBytes(int index)
    {
        if (_problems.TryGetValue(index, out var problem)) throw new InvalidDataException(problem);
        var s = _samples[index];
        var open = _open.Value!;
        if (open.Shard != s.Shard)
        {
            open.Handle?.Dispose();
            open.Handle = null;
            open.Handle = File.OpenHandle(_shards[s.Shard], FileMode.Open, FileAccess.Read, FileShare.Read);
            open.Shard = s.Shard;
        }
        var bytes = GC.AllocateUninitializedArray<byte>(s.Length); // filled below, or thrown away
        int got = 0;
        while (got < s.Length)
        {
            int n = RandomAccess.Read(open.Handle!, bytes.AsSpan(got), s.Offset + got);
            if (n == 0) break;
            got += n;
        }
        if (got < s.Length) throw new InvalidDataException($"truncated member: {got} of {s.Length} bytes");
        return bytes;
    }

    /// <summary>The shard layout the loader streams over: ShardStarts of a shard split, mapped through any
    /// subsets (data.fraction, val_fraction); null for any other split.</summary>
    public static int[]? Layout(IDataSplit split)
    {
        switch (split)
        {
            case ShardSplit s: return s.ShardStarts;
            case SubsetSplit sub when Layout(sub.Inner) is { } inner:
            {
                var starts = new int[inner.Length];
                for (int k = 0; k < inner.Length; k++)
                {
                    int at = Array.BinarySearch(sub.Indices, inner[k]);
                    starts[k] = at >= 0 ? at : ~at;
                }
                return starts;
            }
            default: return null;
        }
    }

    /// <summary>Indexes the shards at <paramref name="location"/> (<see cref="ShardPaths"/>), reading
    /// <paramref name="threads"/> shards' headers at a time.</summary>
    public static ShardSplit Open(string location, IImageDecoder decoder, int threads = 1)
    {
        var shards = ShardPaths.Resolve(location).ToArray();
        var scanned = new List<RawSample>[shards.Length];
        int fromSidecar = 0;
        Parallel.For(0, shards.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, s =>
        {
            var listed = ReadSidecar(shards[s]);
            if (listed != null) Interlocked.Increment(ref fromSidecar);
            scanned[s] = listed ?? Scan(shards[s]);
        });

        var classesPath = Path.Combine(ShardPaths.FolderOf(location), ClassesFile);
        string[]? names = File.Exists(classesPath)
            ? File.ReadAllLines(classesPath).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : null;
        var byName = names?.Select((n, i) => (n, i)).GroupBy(p => p.n).ToDictionary(g => g.Key, g => g.First().i, StringComparer.Ordinal);
        bool labelled = scanned.Any(list => list.Any(r => r.ClassText != null));

        var samples = new List<Sample>();
        var problems = new Dictionary<int, string>();
        var starts = new int[shards.Length + 1];
        long maxLabel = -1;
        for (int s = 0; s < shards.Length; s++)
        {
            starts[s] = samples.Count;
            foreach (var r in scanned[s])
            {
                long label = -1;
                string? problem = r.Problem;
                if (problem == null && r.ImageLength < 0)
                    problem = $"no image member (members: {string.Join(", ", r.Extensions.Select(e => "." + e))})";
                if (problem == null && labelled)
                {
                    if (r.ClassText == null) problem = "no .cls member in labelled shards";
                    else if (long.TryParse(r.ClassText, NumberStyles.None, CultureInfo.InvariantCulture, out var l)) label = l;
                    else if (byName != null && byName.TryGetValue(r.ClassText, out var named)) label = named;
                    else problem = $"label '{Shorten(r.ClassText)}' in {r.Key}.cls is not a non-negative integer{(names != null ? " nor a class of " + classesPath : "")}";
                    if (problem == null && names != null && label >= names.Length)
                        problem = $"label {label} in {r.Key}.cls is beyond the {names.Length} classes of {classesPath}";
                }
                if (problem != null)
                {
                    problems[samples.Count] = problem;
                    label = -1;
                }
                maxLabel = Math.Max(maxLabel, label);
                samples.Add(new Sample(s, r.ImageOffset, (int)Math.Max(0, r.ImageLength), label, r.Key, r.ImageExtension));
            }
        }
        starts[shards.Length] = samples.Count;
        if (samples.Count == 0) throw new DataException($"no samples in the shards at {location}");
        IReadOnlyList<string> classes = names
            ?? (labelled ? Enumerable.Range(0, (int)maxLabel + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray() : []);
        return new ShardSplit($"shards {location} ({shards.Length} shard{(shards.Length == 1 ? "" : "s")})",
            shards, samples.ToArray(), starts, problems, classes, decoder) { ShardsIndexedFromSidecar = fromSidecar };
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private sealed class RawSample(string key)
    {
        public string Key { get; } = key;
        public long ImageOffset;
        public long ImageLength = -1;
        public string ImageExtension = "";
        public string? ClassText;
        public string? Problem;
        public List<string> Extensions { get; } = [];
    }

    /// <summary>The sidecar index `data pack` writes next to a shard: train-000000.tar → train-000000.idx.</summary>
    public static string SidecarPath(string shard) => Path.ChangeExtension(shard, ".idx");

    /// <summary>First line of a sidecar: format, version, and the size of the tar it describes.</summary>
    public static string SidecarHeader(long tarBytes) => $"pretrain-shard-index 1 {tarBytes.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Shards whose samples came from their sidecar index (the others' tar headers were read).</summary>
    public int ShardsIndexedFromSidecar { get; private init; }

    /// <summary>The samples a shard's sidecar lists, or null when there is none or it does not describe
    /// this file (another size, a line that does not parse, a member beyond the end): then the tar is read.</summary>
    private static List<RawSample>? ReadSidecar(string path)
    {
        var sidecar = SidecarPath(path);
        if (!File.Exists(sidecar)) return null;
        try
        {
            long tarBytes = new FileInfo(path).Length;
            using var reader = new StreamReader(sidecar);
            if (reader.ReadLine() != SidecarHeader(tarBytes)) return null;
            var result = new List<RawSample>();
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0) continue;
                var f = line.Split('\t');
                if (f.Length != 5 || !long.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                    || !long.TryParse(f[3], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    || length > Array.MaxLength || offset + length > tarBytes) return null;
                var ext = string.Intern(f[1]);
                var sample = new RawSample(f[0]) { ImageOffset = offset, ImageLength = length, ImageExtension = ext, ClassText = f[4].Length > 0 ? f[4] : null };
                sample.Extensions.Add(ext);
                result.Add(sample);
            }
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>One shard's members grouped into samples (consecutive members sharing a key).</summary>
    private static List<RawSample> Scan(string path)
    {
        var result = new List<RawSample>();
        RawSample? current = null;
        long resumeAt = 0;
        FileStream file;
        try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"cannot open shard {path}: {e.Message}", e);
        }
        using (file)
        {
            long fileLength = file.Length;
            using var tar = new TarReader(file, leaveOpen: true);
            try
            {
                while (tar.GetNextEntry(copyData: false) is { } entry)
                {
                    resumeAt = entry.DataOffset + entry.Length;
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
                    var (key, ext) = SplitName(entry.Name);
                    ext = string.Intern(ext); // a handful of distinct extensions, one string each
                    if (current == null || current.Key != key)
                    {
                        if (current != null) result.Add(current);
                        current = new RawSample(key);
                    }
                    current.Extensions.Add(ext);
                    long available = Math.Max(0, fileLength - entry.DataOffset);
                    bool truncated = entry.Length > available;
                    if (ImageExtensions.Contains(ext) && current.ImageLength < 0)
                    {
                        if (entry.Length > Array.MaxLength) current.Problem ??= $"member {entry.Name} is {entry.Length} bytes, over the 2 GB array limit";
                        (current.ImageOffset, current.ImageLength, current.ImageExtension) = (entry.DataOffset, entry.Length, ext);
                    }
                    else if (ext == "cls")
                    {
                        if (entry.Length > 4096) current.Problem ??= $"{entry.Name} is {entry.Length} bytes, not a label";
                        else if (!truncated)
                        {
                            using var reader = new StreamReader(entry.DataStream!, System.Text.Encoding.UTF8, false, 256, leaveOpen: true);
                            current.ClassText = reader.ReadToEnd().Trim();
                        }
                    }
                    if (truncated) current.Problem ??= $"truncated member {entry.Name}: {available} of {entry.Length} bytes in the file";
                }
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException or ArgumentException or OverflowException or IOException)
            {
                // Past the end of the file: the last member was truncated, and is reported as such.
                if (resumeAt >= fileLength) return Finish(result, current);
                if (current != null) result.Add(current);
                current = new RawSample($"@{resumeAt}")
                {
                    Problem = $"unreadable tar from byte {resumeAt} on ({e.Message.ReplaceLineEndings(" ")}); the rest of the shard is skipped",
                };
            }
        }
        return Finish(result, current);
    }

    private static List<RawSample> Finish(List<RawSample> result, RawSample? last)
    {
        if (last != null) result.Add(last);
        return result;
    }

    /// <summary>WebDataset's split of a member name: the key is everything up to the first dot of the file
    /// name (folders included), the extension the rest, compared lower-case.</summary>
    public static (string Key, string Extension) SplitName(string name)
    {
        int slash = name.LastIndexOf('/');
        int dot = name.IndexOf('.', slash + 1);
        return dot < 0 ? (name, "") : (name[..dot], name[(dot + 1)..].ToLowerInvariant());
    }
}

/// <summary>A split whose samples are stored encoded (image files, tar members): the bytes as stored, for
/// `data pack`, which copies them into shards without decoding.</summary>
public interface IEncodedSamples
{
    byte[] EncodedBytes(int index);
    /// <summary>The file extension the sample is stored under (no dot, lower-case; may be empty).</summary>
    string EncodedExtension(int index);
}
