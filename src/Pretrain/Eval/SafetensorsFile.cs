using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// The safetensors format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON <c>{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>
/// padded with spaces to a multiple of 8, then the raw little-endian tensor bytes, packed without holes
/// (offsets relative to the end of the header). Tensors are laid out as the Python writer does: larger
/// element sizes first, then by name, which keeps every tensor aligned to its element size.
/// </summary>
public static class SafetensorsFile
{
    private static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float64] = "F64", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };
    private static readonly Dictionary<string, ScalarType> Types = Names.ToDictionary(kv => kv.Value, kv => kv.Key);

    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors are written on little-endian machines only");
        using var scope = NewDisposeScope();
        var cpu = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.detach().cpu().contiguous());
        foreach (var (name, t) in cpu)
            if (!Names.ContainsKey(t.dtype)) throw new ArgumentException($"tensor '{name}' has dtype {t.dtype}, which safetensors export does not handle");
        var order = cpu.OrderByDescending(kv => kv.Value.element_size()).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();

        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var (name, t) in order)
        {
            long nbytes = t.numel() * t.element_size();
            header[name] = new JsonObject
            {
                ["dtype"] = Names[t.dtype],
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + nbytes),
            };
            offset += nbytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;

        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            fs.Write(length);
            fs.Write(json);
            for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
            foreach (var (_, t) in order)
                if (t.numel() > 0) fs.Write(t.bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads every tensor (on the CPU) and the metadata of a safetensors file, checking offsets.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var file = Path.GetFileName(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{file}: not a safetensors file (too short)");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"{file}: header length {n} exceeds the file");
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n))!.AsObject();
        long dataStart = 8 + (long)n, dataLength = bytes.Length - dataStart;
        var tensors = new Dictionary<string, Tensor>();
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                continue;
            }
            var dtypeName = node!["dtype"]!.GetValue<string>();
            if (!Types.TryGetValue(dtypeName, out var dtype)) throw new InvalidDataException($"{file}: tensor '{name}' has unsupported dtype {dtypeName}");
            var shape = node["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var offsets = node["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var t = empty(shape, dtype, CPU);
            long nbytes = t.numel() * t.element_size();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataLength || offsets[1] - offsets[0] != nbytes)
                throw new InvalidDataException($"{file}: tensor '{name}' has data_offsets [{string.Join(",", offsets)}] that do not fit its shape or the file");
            if (nbytes > 0) bytes.AsSpan((int)(dataStart + offsets[0]), (int)nbytes).CopyTo(t.bytes);
            tensors[name] = t;
        }
        return (tensors, metadata);
    }
}
