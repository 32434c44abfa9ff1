using System.Text;
using Pretrain.Checkpoints;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Checkpoints;

public sealed class CheckpointFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ckpt-file-" + Guid.NewGuid().ToString("N"));

    public CheckpointFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    private static Dictionary<string, Tensor> AllDtypes()
    {
        var f = torch.linspace(-3.5, 7.25, 6).reshape(2, 3);
        return new Dictionary<string, Tensor>
        {
            ["f32"] = f,
            ["f64"] = torch.tensor(new[] { Math.PI, -1e300, 5e-324 }),
            ["i64"] = torch.tensor(new[] { long.MinValue, 0L, long.MaxValue }),
            ["i32"] = torch.tensor(new[] { int.MinValue, -1, int.MaxValue }).reshape(3, 1),
            ["u8"] = torch.tensor(new byte[] { 0, 127, 255, 1 }).reshape(2, 2),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["bf16"] = f.to(ScalarType.BFloat16),
            ["f16"] = f.to(ScalarType.Float16),
            ["scalar"] = torch.full(Array.Empty<long>(), 42L, ScalarType.Int64),
            ["empty"] = torch.zeros(0, 5),
            ["strided"] = f.t(),
        };
    }

    [Fact]
    public void Crc32CMatchesTheStandardCheckValue()
    {
        var data = Encoding.ASCII.GetBytes("123456789");
        Assert.Equal(0xE3069283u, Crc32C.Compute(data));
        Assert.Equal(0xE3069283u, Crc32C.Final(Crc32C.UpdateSoftware(Crc32C.Initial, data)));
        var longer = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        Assert.Equal(Crc32C.Final(Crc32C.UpdateSoftware(Crc32C.Initial, longer)), Crc32C.Compute(longer));
    }

    [Fact]
    public void RoundTripsEveryDtypeAndTheMetadata()
    {
        var tensors = AllDtypes();
        const string metadata = "{ \"global_step\": 12, \"note\": \"héllo\\n\" }";
        var path = Path.Combine(_dir, "a.ckpt");
        CheckpointFile.Write(path, new Checkpoint(tensors, metadata));

        var loaded = CheckpointFile.Read(path);
        Assert.Equal(metadata, loaded.MetadataJson);
        Assert.Equal(tensors.Keys.Order(), loaded.Tensors.Keys.Order());
        foreach (var (name, t) in tensors)
            Assert.True(Same(t.contiguous(), loaded.Tensors[name]), name);
        Assert.Equal(metadata, CheckpointFile.ReadVerifiedMetadata(path));
        Assert.Equal(metadata, CheckpointFile.ReadMetadata(path));
        Assert.Equal(12L, CheckpointStore.ReadGlobalStep(loaded.MetadataJson));
    }

    private string WriteSample()
    {
        var path = Path.Combine(_dir, "sample.ckpt");
        CheckpointFile.Write(path, new Checkpoint(AllDtypes(), "{\"global_step\": 1}"));
        return path;
    }

    [Fact]
    public void TruncatedFileIsRejectedNamingTheFile()
    {
        var path = WriteSample();
        var bytes = File.ReadAllBytes(path);
        foreach (var keep in new[] { bytes.Length - 1, bytes.Length / 2, 30, 0 })
        {
            File.WriteAllBytes(path, bytes[..keep]);
            var ex = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
            Assert.Contains("sample.ckpt", ex.Message);
        }
    }

    [Fact]
    public void FlippedByteAnywhereIsDetected()
    {
        var path = WriteSample();
        var bytes = File.ReadAllBytes(path);
        // In the magic, the header, a tensor's data and the checksum itself.
        foreach (var position in new[] { 3, 40, bytes.Length - 40, bytes.Length - 9 })
        {
            var damaged = (byte[])bytes.Clone();
            damaged[position] ^= 0x10;
            File.WriteAllBytes(path, damaged);
            var ex = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
            Assert.Contains("sample.ckpt", ex.Message);
            Assert.Throws<CheckpointException>(() => CheckpointFile.ReadVerifiedMetadata(path));
        }
        var data = (byte[])bytes.Clone();
        data[bytes.Length - 40] ^= 0x10;
        File.WriteAllBytes(path, data);
        Assert.Contains("checksum", Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path)).Message);
    }

    [Fact]
    public void OtherFilesAreNotCheckpoints()
    {
        var path = Path.Combine(_dir, "notes.ckpt");
        File.WriteAllText(path, "this is a text file that is long enough to hold a prefix and a trailer");
        var ex = Assert.Throws<CheckpointException>(() => CheckpointFile.Read(path));
        Assert.Contains("notes.ckpt is not a checkpoint", ex.Message);
        Assert.Throws<CheckpointException>(() => CheckpointFile.Read(Path.Combine(_dir, "missing.ckpt")));
    }

    [Fact]
    public void RejectsMetadataThatIsNotAJsonObject()
    {
        var path = Path.Combine(_dir, "bad.ckpt");
        Assert.Throws<ArgumentException>(() => CheckpointFile.Write(path, new Checkpoint(new Dictionary<string, Tensor>(), "[1, 2]")));
        Assert.Throws<ArgumentException>(() => CheckpointFile.Write(path, new Checkpoint(new Dictionary<string, Tensor>(), "{oops")));
    }
}
