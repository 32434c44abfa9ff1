using System.Buffers.Binary;
using System.Text.Json;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Checkpoints;

/// <summary>
/// The single-file checkpoint format (all integers little-endian):
/// <code>
/// 0   8 bytes  magic "PTRNCKPT"
/// 8   uint32   format version (1)
/// 12  uint32   reserved, 0
/// 16  uint64   header length H
/// 24  H bytes  UTF-8 JSON header: {"metadata": "&lt;metadata JSON as a string&gt;",
///              "tensors": [{"name", "dtype", "shape": [..], "offset", "nbytes"}, ...]}
///     zero padding to a multiple of 64: the data section starts there; tensor offsets are
///     relative to it, 64-byte aligned, increasing in table order; raw row-major tensor bytes
/// end 16 bytes trailer: uint64 content length (everything before the trailer),
///              uint32 CRC-32C of the content, 4 bytes "DONE"
/// </code>
/// The trailer sits at the very end, so a truncated file has no valid trailer, and the checksum
/// covers header and data, so any flipped byte is detected. Tensors are read straight from the file
/// into the memory of freshly allocated CPU tensors (no per-element work).
/// </summary>
public static class CheckpointFile
{
    public const int FormatVersion = 1;
    private const int PrefixLength = 24, TrailerLength = 16, Alignment = 64;
    private const int MaxSpan = 1 << 30;
    private static readonly byte[] Magic = "PTRNCKPT"u8.ToArray();
    private static readonly byte[] EndMagic = "DONE"u8.ToArray();

    private static readonly Dictionary<ScalarType, string> DtypeNames = new()
    {
        [ScalarType.Float32] = "float32", [ScalarType.Float64] = "float64", [ScalarType.Float16] = "float16",
        [ScalarType.BFloat16] = "bfloat16", [ScalarType.Int64] = "int64", [ScalarType.Int32] = "int32",
        [ScalarType.Int16] = "int16", [ScalarType.Int8] = "int8", [ScalarType.Byte] = "uint8", [ScalarType.Bool] = "bool",
    };
    private static readonly Dictionary<string, ScalarType> DtypesByName = DtypeNames.ToDictionary(kv => kv.Value, kv => kv.Key);

    private sealed record Entry(string Name, ScalarType Dtype, long[] Shape, long Offset, long NBytes);

    /// <summary>Writes <paramref name="checkpoint"/> to <paramref name="path"/> and flushes it to the disk.</summary>
    public static void Write(string path, Checkpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ValidateMetadata(checkpoint.MetadataJson);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Checkpoints are written on little-endian machines only.");

        var names = checkpoint.Tensors.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();
        var entries = new List<Entry>(names.Count);
        long offset = 0;
        foreach (var name in names)
        {
            var t = checkpoint.Tensors[name];
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("Checkpoint tensor names must be non-empty.");
            if (!DtypeNames.ContainsKey(t.dtype)) throw new ArgumentException($"Tensor '{name}' has dtype {t.dtype}, which checkpoints do not store.");
            long nbytes = checked(t.numel() * t.element_size());
            entries.Add(new Entry(name, t.dtype, t.shape, offset, nbytes));
            offset = AlignUp(offset + nbytes);
        }
        var header = BuildHeader(checkpoint.MetadataJson, entries);

        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var writer = new ChecksummedWriter(fs);
        Span<byte> prefix = stackalloc byte[PrefixLength];
        Magic.CopyTo(prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[12..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(prefix[16..], (ulong)header.Length);
        writer.Write(prefix);
        writer.Write(header);
        writer.WriteZeros(AlignUp(writer.Position) - writer.Position);
        long dataStart = writer.Position;

        using (torch.no_grad())
        {
            foreach (var e in entries)
            {
                writer.WriteZeros(dataStart + e.Offset - writer.Position);
                using var scope = torch.NewDisposeScope();
                var cpu = checkpoint.Tensors[e.Name].detach().cpu().contiguous();
                ForEachSpan(cpu, e.NBytes, span => writer.Write(span));
            }
        }

        Span<byte> trailer = stackalloc byte[TrailerLength];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, (ulong)writer.Position);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[8..], writer.Crc);
        EndMagic.CopyTo(trailer[12..]);
        fs.Write(trailer);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Reads and verifies a checkpoint; the tensors are on the CPU.</summary>
    /// <exception cref="CheckpointException">Damaged, truncated or not a checkpoint (the message names the file).</exception>
    public static Checkpoint Read(string path)
    {
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            var metadata = ReadCore(path, verify: true, tensors);
            return new Checkpoint(tensors, metadata);
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>The metadata after checking the whole file against its checksum, without allocating tensors.</summary>
    public static string ReadVerifiedMetadata(string path) => ReadCore(path, verify: true, tensors: null);

    /// <summary>The metadata from the header only (cheap; the checksum is not checked).</summary>
    public static string ReadMetadata(string path) => ReadCore(path, verify: false, tensors: null);

    private static string ReadCore(string path, bool verify, Dictionary<string, Tensor>? tensors)
    {
        var file = Path.GetFileName(path);
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"Checkpoint {file} cannot be opened: {ex.Message}", ex);
        }
        using (fs)
        {
            try
            {
                return ReadOpened(fs, file, verify, tensors);
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException)
            {
                // The file changed under us or the disk failed mid-read.
                throw new CheckpointException($"Checkpoint {file} cannot be read: {ex.Message}", ex);
            }
        }
    }

    private static string ReadOpened(FileStream fs, string file, bool verify, Dictionary<string, Tensor>? tensors)
    {
        long length = fs.Length;
        Span<byte> prefix = stackalloc byte[PrefixLength];
        if (length < PrefixLength + TrailerLength || fs.ReadAtLeast(prefix, PrefixLength, false) < PrefixLength || !prefix[..8].SequenceEqual(Magic))
            throw new CheckpointException($"{file} is not a checkpoint (bad magic or too short: {length} bytes).");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (version != FormatVersion)
            throw new CheckpointException($"Checkpoint {file} has format version {version}; this build reads version {FormatVersion}.");

        Span<byte> trailer = stackalloc byte[TrailerLength];
        fs.Seek(length - TrailerLength, SeekOrigin.Begin);
        fs.ReadExactly(trailer);
        long contentLength = length - TrailerLength;
        if (!trailer[12..].SequenceEqual(EndMagic) || BinaryPrimitives.ReadUInt64LittleEndian(trailer) != (ulong)contentLength)
            throw new CheckpointException($"Checkpoint {file} is truncated or damaged (no valid trailer at the end of its {length} bytes).");
        uint expectedCrc = BinaryPrimitives.ReadUInt32LittleEndian(trailer[8..]);

        fs.Seek(0, SeekOrigin.Begin);
        var reader = new ChecksummedReader(fs);
        reader.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix[16..]);
        if (headerLength > (ulong)(contentLength - PrefixLength))
            throw new CheckpointException($"Checkpoint {file} is damaged (header length {headerLength} exceeds the file).");
        var headerBytes = new byte[headerLength];
        reader.ReadExactly(headerBytes);
        long dataStart = AlignUp(PrefixLength + (long)headerLength);
        if (dataStart > contentLength)
            throw new CheckpointException($"Checkpoint {file} is damaged (data section starts past the end).");
        var (metadata, entries) = ParseHeader(headerBytes, contentLength - dataStart, file);
        if (!verify) return metadata;

        reader.Skip(dataStart - reader.Position);
        using (torch.no_grad())
        {
            foreach (var e in entries)
            {
                reader.Skip(dataStart + e.Offset - reader.Position);
                if (tensors is null)
                {
                    reader.Skip(e.NBytes);
                    continue;
                }
                var t = torch.empty(e.Shape, e.Dtype, torch.CPU);
                tensors[e.Name] = t;
                ForEachSpan(t, e.NBytes, span => reader.ReadExactly(span));
            }
        }
        reader.Skip(contentLength - reader.Position);
        if (reader.Crc != expectedCrc)
            throw new CheckpointException($"Checkpoint {file} is damaged (checksum mismatch: stored {expectedCrc:x8}, computed {reader.Crc:x8}).");
        return metadata;
    }

    private static byte[] BuildHeader(string metadataJson, List<Entry> entries)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("metadata", metadataJson);
            w.WriteStartArray("tensors");
            foreach (var e in entries)
            {
                w.WriteStartObject();
                w.WriteString("name", e.Name);
                w.WriteString("dtype", DtypeNames[e.Dtype]);
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteNumber("offset", e.Offset);
                w.WriteNumber("nbytes", e.NBytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    private static (string Metadata, List<Entry> Entries) ParseHeader(byte[] header, long dataLength, string file)
    {
        try
        {
            using var doc = JsonDocument.Parse(header);
            var root = doc.RootElement;
            var metadata = root.GetProperty("metadata").GetString()
                           ?? throw new CheckpointException($"Checkpoint {file} is damaged (null metadata).");
            var entries = new List<Entry>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            long end = 0;
            foreach (var t in root.GetProperty("tensors").EnumerateArray())
            {
                var name = t.GetProperty("name").GetString() ?? "";
                var dtypeName = t.GetProperty("dtype").GetString() ?? "";
                var shape = t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                long offset = t.GetProperty("offset").GetInt64(), nbytes = t.GetProperty("nbytes").GetInt64();
                if (name.Length == 0 || !names.Add(name) || !DtypesByName.TryGetValue(dtypeName, out var dtype) || shape.Any(d => d < 0))
                    throw new CheckpointException($"Checkpoint {file} is damaged (invalid tensor entry '{name}').");
                long elementSize = dtype switch
                {
                    ScalarType.Float64 or ScalarType.Int64 => 8,
                    ScalarType.Float32 or ScalarType.Int32 => 4,
                    ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
                    _ => 1,
                };
                long expectedBytes = shape.Aggregate(elementSize, (a, d) => checked(a * d));
                if (nbytes != expectedBytes || offset < end || offset > dataLength || nbytes > dataLength - offset)
                    throw new CheckpointException($"Checkpoint {file} is damaged (tensor '{name}' lies outside the data section or has a wrong size).");
                entries.Add(new Entry(name, dtype, shape, offset, nbytes));
                end = offset + nbytes;
            }
            return (metadata, entries);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or OverflowException)
        {
            throw new CheckpointException($"Checkpoint {file} is damaged (unreadable header: {ex.Message})", ex);
        }
    }

    private static void ValidateMetadata(string metadataJson)
    {
        try
        {
            using var doc = JsonDocument.Parse(metadataJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException("Checkpoint metadata must be a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Checkpoint metadata is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>Calls <paramref name="action"/> on the raw bytes of a contiguous CPU tensor, in spans of at most 1 GiB.</summary>
    private static void ForEachSpan(Tensor t, long nbytes, SpanAction action)
    {
        if (nbytes == 0) return;
        if (nbytes <= MaxSpan)
        {
            action(t.bytes);
            return;
        }
        using var scope = torch.NewDisposeScope();
        var flat = t.view(-1);
        long perChunk = MaxSpan / t.element_size();
        for (long start = 0; start < flat.numel(); start += perChunk)
            action(flat.narrow(0, start, Math.Min(perChunk, flat.numel() - start)).bytes);
    }

    private delegate void SpanAction(Span<byte> span);

    private static long AlignUp(long x) => (x + Alignment - 1) / Alignment * Alignment;

    private sealed class ChecksummedWriter(Stream stream)
    {
        private static readonly byte[] Zeros = new byte[Alignment];
        private uint _state = Crc32C.Initial;
        public long Position { get; private set; }
        public uint Crc => Crc32C.Final(_state);

        public void Write(ReadOnlySpan<byte> data)
        {
            _state = Crc32C.Update(_state, data);
            stream.Write(data);
            Position += data.Length;
        }

        public void WriteZeros(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, Zeros.Length);
                Write(Zeros.AsSpan(0, n));
                count -= n;
            }
        }
    }

    private sealed class ChecksummedReader(Stream stream)
    {
        private readonly byte[] _scratch = new byte[1 << 20];
        private uint _state = Crc32C.Initial;
        public long Position { get; private set; }
        public uint Crc => Crc32C.Final(_state);

        public void ReadExactly(Span<byte> destination)
        {
            stream.ReadExactly(destination);
            _state = Crc32C.Update(_state, destination);
            Position += destination.Length;
        }

        public void Skip(long count)
        {
            while (count > 0)
            {
                int n = (int)Math.Min(count, _scratch.Length);
                ReadExactly(_scratch.AsSpan(0, n));
                count -= n;
            }
        }
    }
}
