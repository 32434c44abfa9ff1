using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Xunit;

namespace Pretrain.Tests.Data;

public class LoaderTests
{
    private static readonly List<ViewConfig> Views =
    [
        new() { Name = "g", Count = 1, CropSize = 12, Scale = [0.3, 1.0] },
        new() { Name = "l", Count = 2, CropSize = 6, Scale = [0.05, 0.4], Interpolation = "bicubic" },
    ];

    private static SyntheticShapes Shapes(int n = 48) =>
        new(new SyntheticDataConfig { TrainSize = n, ValSize = 8, Size = 16, Seed = 5 }, true);

    private static TrainLoaderOptions Options(int workers, int rank = 0, int world = 1, int batch = 8) => new()
    {
        BatchSize = batch, Seed = 11, Views = Views, Workers = workers, Prefetch = 3, Rank = rank, WorldSize = world,
    };

    private static void AssertSame(RawBatch a, RawBatch b)
    {
        Assert.Equal(a.BatchIndex, b.BatchIndex);
        Assert.Equal(a.SampleIndices, b.SampleIndices);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Views.Length, b.Views.Length);
        for (int v = 0; v < a.Views.Length; v++)
        {
            Assert.Equal(a.Views[v].Pixels, b.Views[v].Pixels);
            Assert.Equal(a.Views[v].SampleKeys, b.Views[v].SampleKeys);
        }
    }

    [Fact]
    public void BatchesAreIdenticalWithOneAndFourWorkers()
    {
        var split = Shapes();
        var one = new TrainLoader(split, Options(1)).Epoch(2).ToList();
        var four = new TrainLoader(split, Options(4)).Epoch(2).ToList();
        var inline = new TrainLoader(split, Options(0)).Epoch(2).ToList();
        Assert.Equal(6, one.Count);
        for (int k = 0; k < one.Count; k++) { AssertSame(one[k], four[k]); AssertSame(one[k], inline[k]); }
        // Each batch: view g (1 crop of 12 px) then view l (2 crops of 6 px).
        Assert.Equal([12, 6, 6], one[0].Views.Select(v => v.CropSize));
        Assert.Equal(8 * 12 * 12 * 3, one[0].Views[0].Pixels.Length);
        Assert.Equal("l", one[0].Views[2].Config.Name);
        // The epoch is a permutation: every sample once (48 = 6 full batches).
        Assert.Equal(Enumerable.Range(0, 48), one.SelectMany(b => b.SampleIndices).Order());
        Assert.Equal(one.SelectMany(b => b.SampleIndices).Select(i => split.Label(i)), one.SelectMany(b => b.Labels));
        // Different epochs reorder.
        Assert.NotEqual(one[0].SampleIndices, new TrainLoader(split, Options(1)).Epoch(3).First().SampleIndices);
    }

    [Fact]
    public void StartingAtBatchKYieldsTheSameBatch()
    {
        var split = Shapes();
        var loader = new TrainLoader(split, Options(2));
        var all = loader.Epoch(1).ToList();
        var fromFour = new TrainLoader(split, Options(3)).Epoch(1, startBatch: 4).ToList();
        Assert.Equal(2, fromFour.Count);
        AssertSame(all[4], fromFour[0]);
        AssertSame(all[5], fromFour[1]);
        AssertSame(all[3], loader.Batch(1, 3));
    }

    [Fact]
    public void SampleKeysAndCropsArePureFunctionsOfTheKey()
    {
        var split = Shapes();
        var b = new TrainLoader(split, Options(1)).Epoch(0).First();
        int s0 = b.SampleIndices[0];
        Assert.Equal(KeyedRandom.Key(11, 0, s0, 0, 0), b.Views[0].SampleKeys[0]);
        Assert.Equal(KeyedRandom.Key(11, 0, s0, 1, 1), b.Views[2].SampleKeys[0]);
        // Recompute crop 0 of sample 0 by hand: RRC + flip from stream Key(sampleKey, 1), bilinear.
        var rng = new KeyedRandom(KeyedRandom.Key((long)b.Views[0].SampleKeys[0], 1));
        var img = split.Load(s0);
        var box = RandomResizedCrop.Sample(img.Width, img.Height, 0.3, 1.0, 0.75, 4.0 / 3.0, ref rng);
        bool flip = rng.Bernoulli(0.5);
        var expect = new byte[12 * 12 * 3];
        var f = Resampler.ToFloat(img);
        Resampler.Resample(f, ResampleBox.OfCrop(box), 12, ResampleFilter.Bilinear, flip, expect);
        f.Return();
        Assert.Equal(expect, b.Views[0].Pixels[..(12 * 12 * 3)]);
    }

    [Fact]
    public void RanksTakeTheirSliceOfEachGlobalBatch()
    {
        var split = Shapes();
        var whole = new TrainLoader(split, Options(1)).Epoch(0).ToList();
        var r0 = new TrainLoader(split, Options(1, rank: 0, world: 2)).Epoch(0).ToList();
        var r1 = new TrainLoader(split, Options(2, rank: 1, world: 2)).Epoch(0).ToList();
        for (int k = 0; k < whole.Count; k++)
        {
            Assert.Equal(whole[k].SampleIndices, r0[k].SampleIndices.Concat(r1[k].SampleIndices));
            Assert.Equal(whole[k].Views[1].Pixels, r0[k].Views[1].Pixels.Concat(r1[k].Views[1].Pixels));
        }
    }

    private static (TestFiles Files, EncodedFileSplit Split, string[] Corrupt) FolderWithCorruptFiles()
    {
        var f = new TestFiles();
        for (int i = 0; i < 12; i++) f.Solid(20, 16, (byte)(10 * i), 0, 0, "cls", $"img{i:D2}.png");
        var bad = new[] { f.Write([1, 2, 3, 4, 5], "cls", "img03.png"), f.Write(TestFiles.Encode(8, 8, (_, _) => (1, 1, 1))[..40], "cls", "img08.png") };
        return (f, ImageFolderReader.Read(f.Root, new SkiaImageDecoder()), bad);
    }

    [Fact]
    public void CorruptFilesAreReplacedCountedAndLoggedOnce()
    {
        var (files, split, bad) = FolderWithCorruptFiles();
        using var _ = files;
        var log = new List<string>();
        var loader = new TrainLoader(split, Options(2, batch: 4) with { Views = [new ViewConfig { CropSize = 8 }] }, m => { lock (log) log.Add(m); });
        int completedReplaced = -1;
        loader.EpochCompleted += (_, n) => completedReplaced = n;
        var batches = loader.Epoch(0).ToList();
        Assert.Equal(3, batches.Count);
        var used = batches.SelectMany(b => b.SampleIndices).ToArray();
        Assert.DoesNotContain(3, used);
        Assert.DoesNotContain(8, used);
        Assert.Equal(2, loader.ReplacedInEpoch(0));
        Assert.Equal(2, completedReplaced);
        loader.Epoch(1).ToList();
        Assert.Equal(2, log.Count); // each bad file named once over both epochs
        Assert.Contains(log, m => m.Contains(bad[0]));
        Assert.Contains(log, m => m.Contains(bad[1]));
        // Replacement is deterministic too.
        var again = new TrainLoader(split, Options(0, batch: 4) with { Views = [new ViewConfig { CropSize = 8 }] }).Epoch(0).ToList();
        Assert.Equal(used, again.SelectMany(b => b.SampleIndices));
    }

    [Fact]
    public void FailModeThrowsNamingTheFile()
    {
        var (files, split, bad) = FolderWithCorruptFiles();
        using var _ = files;
        var loader = new TrainLoader(split, Options(2, batch: 4) with { Views = [new ViewConfig { CropSize = 8 }], FailOnError = true });
        var e = Assert.Throws<DataException>(() => loader.Epoch(0).ToList());
        Assert.True(e.Message.Contains(bad[0]) || e.Message.Contains(bad[1]), e.Message);
    }

    [Fact]
    public void TooFewSamplesForABatchIsAClearError()
    {
        var e = Assert.Throws<DataException>(() => new TrainLoader(Shapes(5), Options(1)));
        Assert.Contains("synthetic train", e.Message);
    }

    [Fact]
    public void EvalLoaderIsOrderedUnaugmentedAndDropsBadSamples()
    {
        var (files, split, _) = FolderWithCorruptFiles();
        using var __ = files;
        var loader = new EvalLoader(split, imageSize: 8, evalResize: 0, batchSize: 5, workers: 2);
        Assert.Equal(9, loader.Resize); // round(8 / 0.875)
        var batches = loader.Batches().ToList();
        Assert.Equal(3, batches.Count);
        Assert.Equal([0, 1, 2, 4], batches[0].SampleIndices);
        Assert.Equal([5, 6, 7, 9], batches[1].SampleIndices);
        Assert.Equal([10, 11], batches[2].SampleIndices);
        // Solid images stay solid through resize + centre crop.
        Assert.All(batches[1].Pixels.Chunk(3).Take(64), p => Assert.Equal(new byte[] { 50, 0, 0 }, p));
        Assert.Equal(2 * 8 * 8 * 3, batches[2].Pixels.Length);
        Assert.Equal(2, loader.BadSamples.Count);
    }
}
