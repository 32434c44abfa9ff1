using System.Text.Json;
using Pretrain.Composition;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Tests.Training;
using Xunit;

namespace Pretrain.Tests.Data;

/// <summary>Tar shards: packing, the index, streaming order across ranks and workers, resume, and damaged shards.</summary>
[Collection(TorchGlobalState.Name)]
public class ShardTests
{
    private static readonly List<ViewConfig> Views = [new() { Name = "g", Count = 1, CropSize = 8, Scale = [0.3, 1.0] }];

    private static TrainLoaderOptions Options(int batch, int workers = 0, int rank = 0, int world = 1, int buffer = 16) => new()
    {
        BatchSize = batch, Seed = 7, Views = Views, Workers = workers, Prefetch = 2, Rank = rank, WorldSize = world, ShuffleBuffer = buffer,
    };

    private static DataConfig ShardConfig(string path) => new() { Source = "shards", Path = path, Workers = 2 };

    [Fact]
    public void BracePatternsExpandRangesWithTheirWidthAndLists()
    {
        Assert.Equal(["a/train-000008.tar", "a/train-000009.tar", "a/train-000010.tar"], ShardPaths.Expand("a/train-{000008..000010}.tar"));
        Assert.Equal(["x-7.tar", "x-8.tar"], ShardPaths.Expand("x-{7..8}.tar"));
        Assert.Equal(["p0-a", "p0-b", "p1-a", "p1-b"], ShardPaths.Expand("p{0..1}-{a,b}"));
        Assert.Throws<DataException>(() => ShardPaths.Expand("x-{9..2}.tar"));
        Assert.Throws<DataException>(() => ShardPaths.Expand("x-{0..2.tar"));
        using var files = new TestFiles();
        ShardFixtures.UnevenShards(files, [2, 2]);
        var e = Assert.Throws<DataException>(() => ShardPaths.Resolve(files.Path("uneven", "part-{0000..0002}.tar")));
        Assert.Contains("part-0002.tar", e.Message);
        Assert.Equal(2, ShardPaths.Resolve(files.Path("uneven", "part-{0000..0001}.tar")).Count);
    }

    [Fact]
    public void SizesParseWithDecimalAndBinarySuffixes()
    {
        foreach (var (text, bytes) in new[] { ("1GB", 1_000_000_000L), ("500MB", 500_000_000L), ("1.5 GB", 1_500_000_000L), ("64KiB", 65536L), ("2MiB", 2097152L), ("4096", 4096L), ("10B", 10L) })
        {
            Assert.True(ShardPacker.TryParseSize(text, out var got), text);
            Assert.Equal(bytes, got);
        }
        foreach (var bad in new[] { "", "GB", "1XB", "-5MB", "0", "1e3" })
            Assert.False(ShardPacker.TryParseSize(bad, out _), bad);
    }

    [Fact]
    public void PackWritesStableShardsOfTheTargetSizeThatReadBackSampleForSample()
    {
        using var files = new TestFiles();
        var folder = ShardFixtures.LabelledFolder(files, classes: 3, perClass: 7);
        var source = ImageFolderReader.Read(folder, new SkiaImageDecoder());
        var packed = ShardPacker.PackSplit(source, "train", files.Path("out1"), shardBytes: 8 * 1024, seed: 5, workers: 2, failOnError: true);
        ShardPacker.PackSplit(source, "train", files.Path("out2"), shardBytes: 8 * 1024, seed: 5, workers: 0, failOnError: true);

        Assert.Equal(21, packed.Samples);
        var tars = Directory.GetFiles(files.Path("out1"), "*.tar").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(packed.Shards, tars.Length);
        Assert.True(tars.Length >= 3, $"{tars.Length} shards");
        Assert.Equal("train-000000.tar", Path.GetFileName(tars[0]));
        // Same config and seed, any worker count: the same bytes.
        foreach (var t in tars) Assert.Equal(File.ReadAllBytes(t), File.ReadAllBytes(files.Path("out2", Path.GetFileName(t))));
        // Target size: a shard is closed before the sample that would take it over (the last one may be smaller).
        foreach (var t in tars) Assert.True(new FileInfo(t).Length <= 8 * 1024 + 1024, $"{t}: {new FileInfo(t).Length} bytes");
        Assert.Equal(["c0", "c1", "c2"], File.ReadAllLines(files.Path("out1", "classes.txt")));
        using (var index = JsonDocument.Parse(File.ReadAllText(files.Path("out1", "index.json"))))
        {
            Assert.Equal(21, index.RootElement.GetProperty("samples").GetInt32());
            Assert.Equal(tars.Length, index.RootElement.GetProperty("shards").GetArrayLength());
            Assert.Equal(21, index.RootElement.GetProperty("shards").EnumerateArray().Sum(s => s.GetProperty("samples").GetInt32()));
        }

        var shards = ShardSplit.Open(files.Path("out1"), new SkiaImageDecoder());
        Assert.Equal(21, shards.Count);
        Assert.Equal(["c0", "c1", "c2"], shards.Classes);
        Assert.Empty(shards.IndexProblems);
        // Keys are source indices; bytes, labels and pixels are the source's. Packing shuffles (shards mix classes).
        var keys = Enumerable.Range(0, shards.Count).Select(i => int.Parse(shards.Key(i))).ToArray();
        Assert.Equal(Enumerable.Range(0, 21), keys.Order());
        Assert.NotEqual(Enumerable.Range(0, 21), keys);
        for (int i = 0; i < shards.Count; i++)
        {
            Assert.Equal(source.Label(keys[i]), shards.Label(i));
            Assert.Equal(File.ReadAllBytes(source.Paths[keys[i]]), shards.EncodedBytes(i));
            Assert.Equal("png", shards.EncodedExtension(i));
        }
        Assert.Equal(source.Load(keys[4]).Pixels, shards.Load(4).Pixels);

        // The sidecar .idx files let opening skip the tar headers; without them (or when one no longer
        // matches its tar) the headers are read, to the same index.
        Assert.Equal(tars.Length, shards.ShardsIndexedFromSidecar);
        Assert.Equal(tars.Select(ShardSplit.SidecarPath), Directory.GetFiles(files.Path("out1"), "*.idx").Order(StringComparer.Ordinal));
        File.WriteAllText(ShardSplit.SidecarPath(tars[0]), ShardSplit.SidecarHeader(1) + "\n");
        foreach (var t in tars.Skip(1)) File.Delete(ShardSplit.SidecarPath(t));
        var scanned = ShardSplit.Open(files.Path("out1"), new SkiaImageDecoder());
        Assert.Equal(0, scanned.ShardsIndexedFromSidecar);
        Assert.Equal(shards.ShardStarts, scanned.ShardStarts);
        for (int i = 0; i < shards.Count; i++)
        {
            Assert.Equal(shards.Key(i), scanned.Key(i));
            Assert.Equal(shards.Label(i), scanned.Label(i));
            Assert.Equal(shards.EncodedBytes(i), scanned.EncodedBytes(i));
        }
    }

    [Fact]
    public void RawPixelSourcesArePackedAsLosslessPng()
    {
        using var files = new TestFiles();
        var synthetic = new SyntheticShapes(new SyntheticDataConfig { TrainSize = 10, ValSize = 0, Size = 12, Seed = 2 }, true);
        ShardPacker.PackSplit(synthetic, "train", files.Path("syn"), shardBytes: 1L << 30, seed: 1, workers: 2, failOnError: true);
        var shards = ShardSplit.Open(files.Path("syn"), new SkiaImageDecoder());
        Assert.Equal(1, shards.ShardFiles.Count);
        Assert.Equal(synthetic.Classes, shards.Classes);
        for (int i = 0; i < shards.Count; i++)
        {
            int k = int.Parse(shards.Key(i));
            Assert.Equal(synthetic.Label(k), shards.Label(i));
            var want = synthetic.Load(k);
            var got = shards.Load(i);
            Assert.Equal((want.Width, want.Height), (got.Width, got.Height));
            for (int y = 0; y < want.Height; y++)
            for (int x = 0; x < want.Width; x++) Assert.Equal(want.At(x, y), got.At(x, y));
        }
    }

    [Fact]
    public void TrainingFromShardsSeesTheFolderSampleMultisetEachEpochAndResumesBitExactly()
    {
        using var files = new TestFiles();
        var folder = ShardFixtures.LabelledFolder(files, classes: 4, perClass: 24); // 96 = 6 steps of 16
        var cfg = TinyRun.Config(sdmp: false);
        cfg.Data.Source = "imagefolder";
        cfg.Data.Path = folder;
        var splits = RunBuilder.Data(cfg);
        ShardPacker.Pack(splits, files.Path("shards"), shardBytes: 16 * 1024, seed: cfg.Experiment.Seed, workers: 2, failOnError: true);
        Assert.True(Directory.GetFiles(files.Path("shards", "train"), "*.tar").Length >= 4);

        RunConfig ShardRun()
        {
            var c = TinyRun.Config(sdmp: false);
            c.Data.Source = "shards";
            c.Data.Path = files.Path("shards");
            c.Data.ShuffleBuffer = 8;
            return c;
        }
        var fromFolder = TinyRun.TempDir();
        using var a = TinyRun.Train(cfg, fromFolder, 3);
        var fromShards = TinyRun.TempDir();
        using var b = TinyRun.Train(ShardRun(), fromShards, 9);
        var shardSplit = Assert.IsType<ShardSplit>(b.Loader.Split);
        Assert.Equal(3, a.Step);
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var folderSeen = a.Loader.Epoch(epoch).SelectMany(x => x.SampleIndices).Order().ToArray();
            var shardSeen = b.Loader.Epoch(epoch).SelectMany(x => x.SampleIndices).Select(i => int.Parse(shardSplit.Key(i))).Order().ToArray();
            Assert.Equal(Enumerable.Range(0, 96), folderSeen);
            Assert.Equal(folderSeen, shardSeen);
            Assert.Equal(b.Loader.Epoch(epoch).SelectMany(x => x.Labels).Order(), a.Loader.Epoch(epoch).SelectMany(x => x.Labels).Order());
        }
        Assert.NotEqual(b.Loader.EpochOrder(0), b.Loader.EpochOrder(1));

        // Stop mid-epoch (step 4 of 6), resume, continue into the second epoch: the same weights bit for bit.
        var expected = TinyRun.Snapshot(b);
        var split = TinyRun.TempDir();
        using (var c = TinyRun.Train(ShardRun(), split, 4)) Assert.Equal(4, c.Step);
        using var d = TinyRun.Train(ShardRun(), split, 9, resume: "auto");
        Assert.Equal(9, d.Step);
        var got = TinyRun.Snapshot(d);
        foreach (var (k, v) in expected) Assert.True(v.AsSpan().SequenceEqual(got[k]), $"tensor {k} differs after a mid-epoch resume from shards");
    }

    [Fact]
    public void ResumingAtBatchKOfAShardEpochYieldsTheSameBatches()
    {
        using var files = new TestFiles();
        var split = ShardSplit.Open(ShardFixtures.UnevenShards(files, [5, 3, 9, 7]), new SkiaImageDecoder());
        var all = new TrainLoader(split, Options(4, workers: 2)).Epoch(3).ToList();
        Assert.Equal(6, all.Count);
        var from4 = new TrainLoader(split, Options(4, workers: 2)).Epoch(3, startBatch: 4).ToList();
        Assert.Equal(2, from4.Count);
        for (int k = 0; k < 2; k++)
        {
            Assert.Equal(all[4 + k].SampleIndices, from4[k].SampleIndices);
            Assert.Equal(all[4 + k].Views[0].Pixels, from4[k].Views[0].Pixels);
        }
    }

    [Fact]
    public void TwoRanksWithTwoWorkersEachSeeEverySampleOncePerEpochFromForwardMovingStreams()
    {
        using var files = new TestFiles();
        // 5 shards of uneven sizes, 32 samples: 4 global batches of 8 (4 rows per rank).
        var split = ShardSplit.Open(ShardFixtures.UnevenShards(files, [9, 2, 11, 6, 4]), new SkiaImageDecoder());
        Assert.Equal(32, split.Count);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var seen = new List<int>();
            for (int rank = 0; rank < 2; rank++)
            {
                var batches = new TrainLoader(split, Options(8, workers: 2, rank: rank, world: 2)).Epoch(epoch).ToList();
                Assert.Equal(4, batches.Count);
                Assert.All(batches, x => Assert.Equal(4, x.Size));
                seen.AddRange(batches.SelectMany(x => x.SampleIndices));
            }
            Assert.Equal(Enumerable.Range(0, 32), seen.Order());
        }

        // 30 samples, batch 8: 3 batches per epoch; 6 samples (the tail of that epoch's shard order) sit out.
        var odd = ShardSplit.Open(ShardFixtures.UnevenShards(files, [9, 2, 11, 6, 2], "odd"), new SkiaImageDecoder());
        var counts = new int[odd.Count];
        for (int epoch = 0; epoch < 4; epoch++)
        {
            var s = new List<int>();
            for (int rank = 0; rank < 2; rank++)
                s.AddRange(new TrainLoader(odd, Options(8, workers: 2, rank: rank, world: 2)).Epoch(epoch).SelectMany(x => x.SampleIndices));
            Assert.Equal(24, s.Count);
            Assert.Equal(24, s.Distinct().Count());
            foreach (var i in s) counts[i]++;
        }
        Assert.True(counts.Count(c => c < 4) > 6, "different epochs leave different samples out");

        // Without a shuffle buffer each stream (rank, worker) is one contiguous run of the epoch's shard
        // sequence: within a shard, a stream's samples come in stored order.
        var order = ShardOrder.EpochOrder(split.ShardStarts, seed: 7, epoch: 1, batchSize: 8, worldSize: 2, streamsPerRank: 2, shuffleBuffer: 0);
        for (int r = 0; r < 2; r++)
        for (int w = 0; w < 2; w++)
        {
            var stream = Enumerable.Range(0, 4).Where(k => k % 2 == w)
                .SelectMany(k => order.Skip(k * 8 + r * 4).Take(4)).ToArray();
            Assert.Equal(8, stream.Length);
            for (int j = 1; j < stream.Length; j++)
            {
                bool sameShard = Shard(split, stream[j]) == Shard(split, stream[j - 1]);
                Assert.True(!sameShard || stream[j] == stream[j - 1] + 1, $"stream ({r},{w}) jumps from {stream[j - 1]} to {stream[j]}");
            }
        }
        // With one, the same samples in each stream, reordered.
        var shuffled = ShardOrder.EpochOrder(split.ShardStarts, 7, 1, 8, 2, 2, shuffleBuffer: 4);
        Assert.NotEqual(order, shuffled);
        for (int k = 0; k < 4; k++)
        for (int r = 0; r < 2; r++)
            Assert.Equal(Enumerable.Range(0, 4).Where(j => j % 2 == k % 2).SelectMany(j => order.Skip(j * 8 + r * 4).Take(4)).Order(),
                         Enumerable.Range(0, 4).Where(j => j % 2 == k % 2).SelectMany(j => shuffled.Skip(j * 8 + r * 4).Take(4)).Order());
    }

    private static int Shard(ShardSplit split, int index) => Array.FindLastIndex(split.ShardStarts, s => s <= index);

    [Fact]
    public void ShuffleBufferEmitsEachSampleOnceAndDisplacesAtMostTheBufferSize()
    {
        var input = Enumerable.Range(100, 50).ToArray();
        var output = ShardOrder.Shuffle(input, 5, new Pretrain.Common.KeyedRandom(9UL));
        Assert.Equal(input, output.Order());
        Assert.NotEqual(input, output);
        // A sample leaves the buffer no earlier than it entered: position j holds one of the first j + 5 inputs.
        for (int j = 0; j < output.Length; j++) Assert.True(output[j] - 100 < j + 5, $"position {j} holds input {output[j] - 100}");
        Assert.Equal(input, ShardOrder.Shuffle(input, 0, new Pretrain.Common.KeyedRandom(9UL)));
        Assert.Equal(output, ShardOrder.Shuffle(input, 5, new Pretrain.Common.KeyedRandom(9UL)));
    }

    [Fact]
    public void TruncatedShardsAndMembersThatAreNotImagesAreSkippedAndCounted()
    {
        using var files = new TestFiles();
        var png = (int i) => TestFiles.Encode(8, 8, (_, _) => ((byte)i, 50, 60));
        var good = new List<(string, byte[])>();
        for (int i = 0; i < 6; i++) { good.Add(($"a{i}.png", png(i))); good.Add(($"a{i}.cls", ShardFixtures.Cls(i % 2))); }
        ShardFixtures.Tar(files.Path("bad", "s-0.tar"), good.ToArray());
        ShardFixtures.Tar(files.Path("bad", "s-1.tar"),
            ("b0.jpg", "this is not an image"u8.ToArray()), ("b0.cls", ShardFixtures.Cls(0)),
            ("b1.png", png(10)), ("b1.cls", ShardFixtures.Cls(1)),
            ("b2.png", png(11)),                                   // no label in labelled shards
            ("b3.txt", "caption only"u8.ToArray()), ("b3.cls", ShardFixtures.Cls(1)), // no image member
            ("b4.png", png(12)), ("b4.cls", "cat"u8.ToArray()));   // not an integer, no classes.txt
        var full = ShardFixtures.Tar(files.Path("bad", "s-2.tar"),
            ("c0.png", png(20)), ("c0.cls", ShardFixtures.Cls(0)), ("c1.png", png(21)), ("c1.cls", ShardFixtures.Cls(1)));
        var bytes = File.ReadAllBytes(full);
        File.WriteAllBytes(full, bytes[..(512 * 5 + 20)]); // c0 whole, cut inside c1.png's data

        var split = ShardSplit.Open(files.Path("bad"), new SkiaImageDecoder());
        Assert.Equal(13, split.Count);
        Assert.Equal(4, split.IndexProblems.Count);
        Assert.Contains(split.IndexProblems.Values, p => p.Contains("truncated member c1.png"));
        Assert.Contains(split.IndexProblems.Values, p => p.Contains("no .cls member"));
        Assert.Contains(split.IndexProblems.Values, p => p.Contains("no image member"));
        Assert.Contains(split.IndexProblems.Values, p => p.Contains("'cat'"));

        var logged = new List<string>();
        var loader = new TrainLoader(split, Options(13, workers: 2) with { FailOnError = false }, logged.Add);
        var batch = loader.Epoch(0).Single();
        Assert.Equal(5, loader.BadSamples.Count);  // the 4 found while indexing + b0.jpg, which does not decode
        Assert.Equal(5, loader.ReplacedInEpoch(0));
        Assert.Contains(loader.BadSamples, n => n.EndsWith("s-1.tar:b0", StringComparison.Ordinal));
        Assert.Contains(loader.BadSamples, n => n.EndsWith("s-2.tar:c1", StringComparison.Ordinal));
        Assert.Equal(5, logged.Count);
        Assert.All(batch.SampleIndices, i => Assert.False(split.IndexProblems.ContainsKey(i)));

        var e = Assert.Throws<DataException>(() => new TrainLoader(split, Options(13) with { FailOnError = true }).Epoch(0).ToList());
        Assert.Contains(".tar:", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ACorruptHeaderSkipsTheRestOfItsShardAsOneUnreadableSample()
    {
        using var files = new TestFiles();
        var png = TestFiles.Encode(8, 8, (_, _) => (1, 2, 3));
        var path = ShardFixtures.Tar(files.Path("hdr", "s.tar"), ("a.png", png), ("b.png", png), ("c.png", png));
        var bytes = File.ReadAllBytes(path);
        int second = 512 + (png.Length + 511) / 512 * 512;
        bytes[second + 148] ^= 0x55; // b.png's header checksum
        File.WriteAllBytes(path, bytes);
        var split = ShardSplit.Open(path, new SkiaImageDecoder());
        Assert.Equal(2, split.Count);
        Assert.Empty(split.Classes);
        Assert.Equal(-1, split.Label(0));
        Assert.Equal(png, split.EncodedBytes(0));
        Assert.Contains("unreadable tar from byte", split.IndexProblems[1]);
    }

    [Fact]
    public void ClassNamesComeFromClassesTxtAndSubsetsKeepTheShardLayout()
    {
        using var files = new TestFiles();
        var png = TestFiles.Encode(8, 8, (_, _) => (1, 2, 3));
        ShardFixtures.Tar(files.Path("named", "s-0.tar"), ("k0.png", png), ("k0.cls", "dog"u8.ToArray()), ("k1.png", png), ("k1.cls", "0"u8.ToArray()));
        ShardFixtures.Tar(files.Path("named", "s-1.tar"), ("k2.png", png), ("k2.cls", "cat"u8.ToArray()), ("k3.png", png), ("k3.cls", "1"u8.ToArray()));
        File.WriteAllLines(files.Path("named", "classes.txt"), ["cat", "dog"]);
        var splits = DataSplits.Open(ShardConfig(files.Path("named", "s-{0..1}.tar")), seed: 1);
        var split = Assert.IsType<ShardSplit>(splits.Train);
        Assert.Equal(["cat", "dog"], split.Classes);
        Assert.Equal([1L, 0, 0, 1], Enumerable.Range(0, 4).Select(split.Label));
        Assert.Equal([0, 2, 4], split.ShardStarts);
        var sub = new SubsetSplit(split, [0, 2, 3], "test");
        Assert.Equal([0, 1, 3], ShardSplit.Layout(sub));
        Assert.Null(ShardSplit.Layout(new SyntheticShapes(new SyntheticDataConfig { TrainSize = 4 }, true)));
    }
}
