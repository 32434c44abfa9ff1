using System.Diagnostics;
using System.IO.Compression;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Tests.Config;
using Pretrain.Tests.Distributed;
using Xunit;

namespace Pretrain.Tests.Data;

/// <summary>A decompression bomb: a valid PNG (IHDR, one small IDAT of zeros, IEND) whose header claims
/// a huge size. Before data.max_image_pixels the decoder allocated w*h*4 bytes in 32-bit arithmetic
/// (it wrapped) and Skia wrote past the buffer: `pretrain run` died with SIGSEGV, exit 139.</summary>
internal static class HostilePng
{
    public static byte[] Claiming(int width, int height, int rows = 4)
    {
        var raw = new byte[rows * (1 + 3 * Math.Min(width, 4096))]; // filter byte 0 + RGB zeros, a few rows
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.SmallestSize, leaveOpen: true)) zs.Write(raw);
        var ihdr = new byte[13];
        BigEndian(ihdr, 0, (uint)width);
        BigEndian(ihdr, 4, (uint)height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // RGB
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(Stream s, string type, byte[] data)
    {
        var head = new byte[8];
        BigEndian(head, 0, (uint)data.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(data);
        var crc = new byte[4];
        BigEndian(crc, 0, Crc32([.. head[4..], .. data]));
        s.Write(crc);
    }

    static void BigEndian(byte[] b, int o, uint v) => (b[o], b[o + 1], b[o + 2], b[o + 3]) = ((byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v);

    static uint Crc32(byte[] bytes)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in bytes)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}

public class DecodeGuardTests
{
    private static readonly byte[] Bomb = HostilePng.Claiming(100_000, 100_000);

    [Fact]
    public void TheBombIsAValidPngHeaderThatSkiaReads()
    {
        Assert.True(Bomb.Length < 20_000, $"{Bomb.Length} bytes");
        Assert.Equal((100_000, 100_000), new SkiaImageDecoder().ReadSize(Bomb));
    }

    [Fact]
    public void AHugeHeaderIsRejectedFastWithoutAllocatingPixels()
    {
        var decoder = new SkiaImageDecoder();
        Assert.Equal(89_478_485, decoder.MaxPixels);
        Assert.Equal(89_478_485, new DataConfig().MaxImagePixels);
        decoder.Decode(TestFiles.Encode(8, 8, (_, _) => (1, 2, 3))); // warm up Skia
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<InvalidDataException>(() => decoder.Decode(Bomb, (w, h) => new DecodeRequest(32, 32)));
        sw.Stop();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal("image header claims 100000x100000 = 10000000000 pixels, over the limit of data.max_image_pixels 89478485", e.Message);
        Assert.True(allocated < 1_000_000, $"{allocated} bytes allocated");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(1), $"{sw.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public void TheLimitIsConfigurableAndANormalImageStillDecodes()
    {
        var png = TestFiles.Encode(20, 16, (x, y) => ((byte)x, (byte)y, 9));
        var img = new SkiaImageDecoder().Decode(png);
        Assert.Equal((20, 16), (img.Width, img.Height));
        Assert.Equal(((byte)5, (byte)7, (byte)9), img.At(5, 7));

        Assert.Equal(20, new SkiaImageDecoder(maxPixels: 320).Decode(png).Width); // exactly at the limit: allowed
        var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder(maxPixels: 319).Decode(png));
        Assert.Equal("image header claims 20x16 = 320 pixels, over the limit of data.max_image_pixels 319", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SkiaImageDecoder(maxPixels: -1));
    }

    [Fact]
    public void ZeroDisablesTheLimitButNotTheBufferBound()
    {
        // A 10,000 x 9,000 header (90 M pixels) is over the default; with 0 it is decoded (and, its
        // IDAT holding only 4 rows, fails as a truncated file, not as too large).
        var big = HostilePng.Claiming(10_000, 9_000);
        var over = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder().Decode(big));
        Assert.Contains("over the limit of data.max_image_pixels 89478485", over.Message);
        var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder(maxPixels: 0).Decode(big));
        Assert.DoesNotContain("over the limit", e.Message);
        Assert.StartsWith("decode failed", e.Message);

        // With no limit, a size whose RGBX buffer cannot exist (w*h*4 overflows 32 bits) is still a bad sample.
        foreach (var (w, h) in new[] { (100_000, 100_000), (46_341, 46_341), (65_536, 16_384) })
        {
            var x = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder(maxPixels: 0).Decode(HostilePng.Claiming(w, h)));
            Assert.Equal($"image header claims {w}x{h} = {(long)w * h} pixels, over the limit of {Array.MaxLength / 4}, the most one decode buffer holds", x.Message);
        }
        // A file Skia cannot make a codec for.
        Assert.Equal("not a decodable image", Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder().Decode([1, 2, 3])).Message);
    }

    [Fact]
    public void ConfigRejectsANegativeLimit()
    {
        using var dir = new TempConfigDir();
        var file = dir.Write("x.yaml", "data:\n  max_image_pixels: -5\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(file));
        Assert.Contains("data.max_image_pixels: must be >= 0, got -5 (0 = no limit)", e.Message);
        Assert.Equal(0, ConfigLoader.Load(file, ["data.max_image_pixels=0"]).Data.MaxImagePixels);
        Assert.Equal(10_000_000_000, ConfigLoader.Load(file, ["data.max_image_pixels=10000000000"]).Data.MaxImagePixels);
    }

    private static (TestFiles Files, string Bomb) FolderWithABomb()
    {
        var f = new TestFiles();
        for (int i = 0; i < 11; i++) f.Solid(20, 16, (byte)(10 * i), 0, 0, "cls", $"img{i:D2}.png");
        return (f, f.Write(Bomb, "cls", "img05_bomb.png"));
    }

    private static DataConfig FolderConfig(string root, long? maxPixels = null)
    {
        var cfg = new DataConfig { Source = "imagefolder", Path = root };
        if (maxPixels is { } m) cfg.MaxImagePixels = m;
        return cfg;
    }

    private static TrainLoaderOptions Options(bool fail) => new()
    {
        BatchSize = 4, Seed = 11, Views = [new ViewConfig { CropSize = 8 }], Workers = 2, Prefetch = 2, FailOnError = fail,
    };

    [Fact]
    public void InSkipModeTheBombIsReplacedCountedAndNamedOnce()
    {
        var (files, bomb) = FolderWithABomb();
        using var _ = files;
        var split = DataSplits.Open(FolderConfig(files.Root), seed: 0).Train; // data.max_image_pixels from the config
        Assert.Equal(12, split.Count);
        var log = new List<string>();
        var loader = new TrainLoader(split, Options(fail: false), m => { lock (log) log.Add(m); });
        var batches = loader.Epoch(0).ToList();
        Assert.Equal(3, batches.Count);
        int bombIndex = Enumerable.Range(0, split.Count).Single(i => split.SampleName(i) == bomb);
        Assert.DoesNotContain(bombIndex, batches.SelectMany(b => b.SampleIndices));
        Assert.Equal(1, loader.ReplacedInEpoch(0));
        loader.Epoch(1).ToList();
        var line = Assert.Single(log);
        Assert.Equal($"skipping unreadable sample (image header claims 100000x100000 = 10000000000 pixels, over the limit of data.max_image_pixels 89478485): {bomb}", line);
        Assert.Equal([bomb], loader.BadSamples);

        // The eval loader drops it too.
        var eval = new EvalLoader(split, imageSize: 8, evalResize: 0, batchSize: 5);
        Assert.Equal(11, eval.Batches().Sum(b => b.SampleIndices.Length));
    }

    [Fact]
    public void InFailModeTheBombStopsWithOneLineNamingTheFileAndTheSizes()
    {
        var (files, bomb) = FolderWithABomb();
        using var _ = files;
        var split = DataSplits.Open(FolderConfig(files.Root), seed: 0).Train;
        var loader = new TrainLoader(split, Options(fail: true));
        var e = Assert.Throws<DataException>(() => loader.Epoch(0).ToList());
        Assert.Equal($"unreadable sample (image header claims 100000x100000 = 10000000000 pixels, over the limit of data.max_image_pixels 89478485): {bomb}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TheConfiguredLimitReachesTheDecoder()
    {
        var (files, _) = FolderWithABomb();
        using var __ = files;
        // 20 x 16 = 320 pixels: a limit of 100 makes every image bad.
        var split = DataSplits.Open(FolderConfig(files.Root, maxPixels: 100), seed: 0).Train;
        var e = Assert.Throws<InvalidDataException>(() => split.Load(0));
        Assert.Equal("image header claims 20x16 = 320 pixels, over the limit of data.max_image_pixels 100", e.Message);
        Assert.Throws<DataException>(() => DataSplits.Open(FolderConfig(files.Root, maxPixels: -1), seed: 0));
    }

    const string TinyYaml = """
        experiment: {name: bomb, seed: 1, device: cpu, threads: 1}
        data: {source: imagefolder, image_size: 16, workers: 1}
        augment:
          views:
            - {crop_size: 16, scale: [0.3, 1.0], blur_p: 0.0}
            - {crop_size: 16, scale: [0.3, 1.0], blur_p: 0.0, solarize_p: 0.2}
        model: {arch: vit, patch_size: 4, embed_dim: 32, depth: 1, num_heads: 2}
        method: {name: mocov3, mocov3: {hidden_dim: 64, out_dim: 16}}
        optimizer: {name: adamw, lr: 0.001, warmup_epochs: 1}
        training: {epochs: 2, batch_size: 4, log_every_steps: 1}
        logging: {tensorboard: false}
        """;

    /// <summary>The real command line, in its own process: this is where the SIGSEGV (exit 139) was.</summary>
    [Fact]
    public void TheRealCliSkipsOrFailsOnTheBombInsteadOfCrashing()
    {
        var (files, bomb) = FolderWithABomb();
        using var _ = files;
        var dir = Pretrain.Tests.Training.TinyRun.TempDir();
        var config = Path.Combine(dir, "bomb.yaml");
        File.WriteAllText(config, TinyYaml);
        string[] Args(string output, string onError) =>
            ["run", "--config", config, "--output", Path.Combine(dir, output), "--set", $"data.path={files.Root}", "--set", $"data.on_error={onError}"];

        var skip = PretrainJob.Plain(Args("skip", "skip"));
        Assert.True(skip.Exited && skip.ExitCode == 0, skip.Describe());
        Assert.Single(skip.Error.Split('\n'), l => l.Contains("skipping unreadable sample") && l.Contains(bomb) && l.Contains("10000000000 pixels"));
        // Counted per epoch too (12 images, batch 4: the bomb is in every epoch).
        Assert.Contains("epoch 0: 1 unreadable samples replaced (data.on_error: skip)", skip.Error);
        Assert.Contains("epoch 1: 1 unreadable samples replaced (data.on_error: skip)", skip.Error);

        var fail = PretrainJob.Plain(Args("fail", "fail"));
        Assert.True(fail.Exited && fail.ExitCode == 2, fail.Describe());
        var line = Assert.Single(fail.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"unreadable sample (image header claims 100000x100000 = 10000000000 pixels, over the limit of data.max_image_pixels 89478485): {bomb}", line);
    }
}
