using System.IO.Compression;
using Pretrain.Config;
using Pretrain.Data;
using Xunit;

namespace Pretrain.Tests.Data;

public class SourceTests
{
    private static readonly SkiaImageDecoder Decoder = new();

    [Fact]
    public void ImageFolderReadsClassesLabelsAndPixels()
    {
        using var f = new TestFiles();
        f.Solid(8, 6, 200, 10, 20, "train", "dog", "b.png");
        f.Solid(8, 6, 1, 2, 3, "train", "cat", "a.png");
        f.Write(TestFiles.EncodeGray(5, 5, 77), "train", "cat", "gray.png");
        f.Solid(8, 8, 9, 9, 9, "val", "cat", "v.png");
        var splits = DataSplits.Open(new DataConfig { Source = "imagefolder", Path = f.Root }, seed: 0, Decoder);
        var tr = splits.Train;
        Assert.Equal(["cat", "dog"], tr.Classes);
        Assert.Equal(3, tr.Count);
        Assert.Equal([0L, 0L, 1L], Enumerable.Range(0, 3).Select(tr.Label));
        Assert.EndsWith("a.png", tr.SampleName(0));
        Assert.Equal((byte)1, tr.Load(0).At(3, 2).R);
        Assert.Equal(((byte)1, (byte)2, (byte)3), tr.Load(0).At(7, 5));
        Assert.Equal(((byte)77, (byte)77, (byte)77), tr.Load(1).At(4, 4)); // grayscale -> RGB
        Assert.Equal(((byte)200, (byte)10, (byte)20), tr.Load(2).At(0, 0));
        Assert.Equal((8, 6), tr.ImageSize(2));
        Assert.NotNull(splits.Val);
        Assert.Equal(1, splits.Val!.Count);
        Assert.Equal(((byte)9, (byte)9, (byte)9), splits.Val.Load(0).At(1, 1));
    }

    /// <summary>A 24-bit bottom-up BMP written by hand (Skia cannot encode BMP).</summary>
    private static byte[] Bmp(int w, int h, Func<int, int, (byte R, byte G, byte B)> color)
    {
        int row = (w * 3 + 3) & ~3, size = 54 + row * h;
        var b = new byte[size];
        void I32(int o, int v) => BitConverter.GetBytes(v).CopyTo(b, o);
        b[0] = (byte)'B'; b[1] = (byte)'M'; I32(2, size); I32(10, 54); I32(14, 40); I32(18, w); I32(22, h);
        b[26] = 1; b[28] = 24; I32(34, row * h);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            var (r, g, bl) = color(x, y);
            int o = 54 + (h - 1 - y) * row + x * 3;
            (b[o], b[o + 1], b[o + 2]) = (bl, g, r);
        }
        return b;
    }

    [Fact]
    public void BmpAndWebpDecodeToRgb()
    {
        var bmp = Decoder.Decode(Bmp(5, 3, (x, y) => ((byte)(40 * x), (byte)(50 * y), 7)));
        Assert.Equal((5, 3), (bmp.Width, bmp.Height));
        Assert.Equal(((byte)160, (byte)100, (byte)7), bmp.At(4, 2));
        var webp = Decoder.Decode(TestFiles.Encode(6, 4, (x, y) => (90, 30, 200), SkiaSharp.SKEncodedImageFormat.Webp, 100));
        Assert.Equal((6, 4), (webp.Width, webp.Height));
        Assert.Equal(((byte)90, (byte)30, (byte)200), webp.At(5, 3));
    }

    [Fact]
    public void FlatFolderIsUnlabeled()
    {
        using var f = new TestFiles();
        f.Solid(10, 12, 50, 60, 70, "b.png");
        f.Solid(10, 12, 5, 6, 7, "a.bmp.png");
        File.WriteAllText(f.Path("notes.txt"), "not an image");
        var s = ImageFolderReader.Read(f.Root, Decoder);
        Assert.Equal(2, s.Count);
        Assert.Empty(s.Classes);
        Assert.Equal(-1L, s.Label(0));
        Assert.Equal(-1L, s.Label(1));
        Assert.Equal(((byte)5, (byte)6, (byte)7), s.Load(0).At(9, 11));
    }

    [Fact]
    public void FileListResolvesRelativePathsAndLabels()
    {
        using var f = new TestFiles();
        f.Solid(8, 8, 11, 22, 33, "lists", "imgs", "x.png");
        f.Solid(8, 8, 44, 55, 66, "y.png");
        File.WriteAllText(f.Path("lists", "train.txt"), "# comment\nimgs/x.png, 2\n\n../y.png,0\n");
        var s = FileListReader.Read(f.Path("lists", "train.txt"), Decoder);
        Assert.Equal(2, s.Count);
        Assert.Equal([2L, 0L], new[] { s.Label(0), s.Label(1) });
        Assert.Equal(3, s.Classes.Count);
        Assert.Equal(((byte)11, (byte)22, (byte)33), s.Load(0).At(0, 0));
        Assert.Equal(((byte)44, (byte)55, (byte)66), s.Load(1).At(7, 7));

        File.WriteAllText(f.Path("unl.txt"), "y.png\n");
        Assert.Equal(-1L, FileListReader.Read(f.Path("unl.txt"), Decoder).Label(0));
    }

    [Fact]
    public void AFlatValFolderIsLabelledByAFileListOfClassNamesOrIndices()
    {
        // ImageNet's layout: train/<wnid>/*.JPEG, a flat val/ and a list `file,wnid` (or `file,index`).
        using var f = new TestFiles();
        f.Solid(8, 8, 10, 10, 10, "train", "n02", "a.png");
        f.Solid(8, 8, 20, 20, 20, "train", "n01", "b.png");
        f.Solid(8, 8, 30, 30, 30, "val", "v1.png");
        f.Solid(8, 8, 40, 40, 40, "val", "v2.png");
        File.WriteAllText(f.Path("val", "val.txt"), "v1.png,n02\nv2.png,0\n");
        var splits = DataSplits.Open(new DataConfig { Source = "imagefolder", TrainPath = f.Path("train"), ValPath = f.Path("val", "val.txt") }, 0);
        Assert.True(splits.Labelled);
        Assert.Equal(["n01", "n02"], splits.Val!.Classes);
        Assert.Equal([1L, 0L], new[] { splits.Val.Label(0), splits.Val.Label(1) });
        Assert.Equal(((byte)30, (byte)30, (byte)30), splits.Val.Load(0).At(0, 0));

        File.WriteAllText(f.Path("val", "bad.txt"), "v1.png,n03\n");
        var e = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "imagefolder", TrainPath = f.Path("train"), ValPath = f.Path("val", "bad.txt") }, 0));
        Assert.Equal($"{f.Path("val", "bad.txt")}:1: label 'n03' is neither a class of the train folder (2 classes, e.g. 'n01') nor a class index", e.Message);
        File.WriteAllText(f.Path("val", "past.txt"), "v1.png,2\n");
        e = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "imagefolder", TrainPath = f.Path("train"), ValPath = f.Path("val", "past.txt") }, 0));
        Assert.Contains(":1: label 2 is past the train folder's 2 classes", e.Message);
    }

    private static byte[] CifarRecord(byte[] labelBytes, int seed)
    {
        var rec = new byte[labelBytes.Length + 3072];
        labelBytes.CopyTo(rec, 0);
        for (int i = 0; i < 3072; i++) rec[labelBytes.Length + i] = (byte)(i * 7 + seed);
        return rec;
    }

    [Fact]
    public void Cifar10BinaryPixelsAndLabels()
    {
        using var f = new TestFiles();
        for (int b = 1; b <= 5; b++) f.Write(CifarRecord([(byte)b], b), $"data_batch_{b}.bin");
        f.Write([.. CifarRecord([9], 100), .. CifarRecord([0], 101)], "test_batch.bin");
        var s = DataSplits.Open(new DataConfig { Source = "cifar10", Path = f.Root }, 0);
        Assert.Equal(5, s.Train.Count);
        Assert.Equal(2, s.Val!.Count);
        Assert.Equal(10, s.Train.Classes.Count);
        Assert.Equal(3L, s.Train.Label(2));
        Assert.Equal(9L, s.Val.Label(0));
        // Pixel (x=5, y=2) of record seeded 3: planes R, G, B at offsets p, 1024+p, 2048+p with p = 2*32+5.
        int p = 2 * 32 + 5;
        var img = s.Train.Load(2);
        Assert.Equal(((byte)(p * 7 + 3), (byte)((1024 + p) * 7 + 3), (byte)((2048 + p) * 7 + 3)), img.At(5, 2));
    }

    [Fact]
    public void Cifar100FineAndCoarseLabels()
    {
        using var f = new TestFiles();
        f.Write([.. CifarRecord([3, 42], 1), .. CifarRecord([19, 99], 2)], "train.bin");
        f.Write(CifarRecord([0, 5], 3), "test.bin");
        var fine = DataSplits.Open(new DataConfig { Source = "cifar100", Path = f.Root, LabelKind = "fine" }, 0);
        var coarse = DataSplits.Open(new DataConfig { Source = "cifar100", Path = f.Root, LabelKind = "coarse" }, 0);
        Assert.Equal([42L, 99L], new[] { fine.Train.Label(0), fine.Train.Label(1) });
        Assert.Equal([3L, 19L], new[] { coarse.Train.Label(0), coarse.Train.Label(1) });
        Assert.Equal(100, fine.Train.Classes.Count);
        Assert.Equal(20, coarse.Train.Classes.Count);
        Assert.Equal(5L, fine.Val!.Label(0));
        Assert.Equal((byte)(2 * 7 + 1), fine.Train.Load(0).At(2, 0).R);
    }

    [Fact]
    public void CifarRejectsTruncatedFile()
    {
        using var f = new TestFiles();
        f.Write(CifarRecord([1, 1], 0)[..3000], "train.bin");
        var e = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "cifar100", Path = f.Root }, 0));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(f.Path("train.bin"), e.Message);
    }

    private static byte[] Idx(byte rank, int[] dims, byte[] data)
    {
        var h = new List<byte> { 0, 0, 0x08, rank };
        foreach (var d in dims) h.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        return [.. h, .. data];
    }

    private static byte[] Gzip(byte[] b)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(b);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void IdxPlainAndGzip(bool gz)
    {
        using var f = new TestFiles();
        // Two 2x3 (H x W) images with values 10*i + pixel.
        var imgs = Enumerable.Range(0, 12).Select(i => (byte)(10 * (i / 6) + i % 6)).ToArray();
        byte[] Maybe(byte[] b) => gz ? Gzip(b) : b;
        string ext = gz ? ".gz" : "";
        f.Write(Maybe(Idx(3, [2, 2, 3], imgs)), "train-images-idx3-ubyte" + ext);
        f.Write(Maybe(Idx(1, [2], [7, 4])), "train-labels-idx1-ubyte" + ext);
        f.Write(Maybe(Idx(3, [1, 2, 3], imgs[..6])), "t10k-images-idx3-ubyte" + ext);
        f.Write(Maybe(Idx(1, [1], [1])), "t10k-labels-idx1-ubyte" + ext);
        var s = DataSplits.Open(new DataConfig { Source = "idx", Path = f.Root }, 0);
        Assert.Equal(2, s.Train.Count);
        Assert.Equal([7L, 4L], new[] { s.Train.Label(0), s.Train.Label(1) });
        var img = s.Train.Load(1);
        Assert.Equal((3, 2), (img.Width, img.Height));
        Assert.Equal(((byte)15, (byte)15, (byte)15), img.At(2, 1)); // gray replicated to RGB
        Assert.Equal(1, s.Val!.Count);
        Assert.Equal(1L, s.Val.Label(0));
    }

    [Fact]
    public void IdxRejectsTruncatedFile()
    {
        using var f = new TestFiles();
        f.Write(Idx(3, [10, 28, 28], new byte[100]), "train-images-idx3-ubyte");
        f.Write(Idx(1, [10], new byte[10]), "train-labels-idx1-ubyte");
        var e = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "idx", Path = f.Root }, 0));
        Assert.Contains("truncated", e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }

    [Fact]
    public void SyntheticIsDeterministicBalancedAndWhiteOnBlack()
    {
        var cfg = new SyntheticDataConfig { TrainSize = 40, ValSize = 20, Size = 32, Seed = 7 };
        var a = new SyntheticShapes(cfg, train: true);
        var b = new SyntheticShapes(cfg, train: true);
        var v = new SyntheticShapes(cfg, train: false);
        Assert.Equal(10, a.Classes.Count);
        Assert.Equal(["disc", "ring", "square", "hollow_square", "triangle", "plus", "star", "crescent", "T", "equals"], a.Classes);
        Assert.Equal(Enumerable.Repeat(4, 10), Enumerable.Range(0, 40).GroupBy(i => a.Label(i)).Select(g => g.Count()));
        for (int i = 0; i < 40; i++) Assert.Equal(a.Load(i).Pixels, b.Load(i).Pixels);
        Assert.NotEqual(a.Load(3).Pixels, v.Load(3).Pixels);
        var px = a.Load(0).Pixels; // disc: gray pixels only (R = G = B), black corners, white centre mass
        for (int i = 0; i < px.Length; i += 3) Assert.True(px[i] == px[i + 1] && px[i] == px[i + 2]);
        Assert.Equal(0, px.Min());
        Assert.Equal(255, px.Max());
        // Disc area: circumradius in [0.22, 0.42]·32 gives pi r^2 between 156 and 568 pixels of coverage.
        double cover = Enumerable.Range(0, 32 * 32).Sum(p => px[3 * p] / 255.0);
        Assert.InRange(cover, 150, 575);
        var other = new SyntheticShapes(new SyntheticDataConfig { TrainSize = 40, ValSize = 20, Seed = 8 }, true);
        Assert.NotEqual(a.Load(0).Pixels, other.Load(0).Pixels);
    }

    [Fact]
    public void SyntheticShapesAreDistinctAtTheCentre()
    {
        // Point tests that tell the shapes apart: centre, ring hole, hollow square hole, star tip.
        Assert.True(SyntheticShapes.Inside(0, 0, 0));
        Assert.False(SyntheticShapes.Inside(1, 0, 0));
        Assert.True(SyntheticShapes.Inside(1, 0.8, 0));
        Assert.True(SyntheticShapes.Inside(2, 0.6, 0.6));
        Assert.False(SyntheticShapes.Inside(3, 0, 0));
        Assert.True(SyntheticShapes.Inside(4, 0, -0.9));    // apex up
        Assert.False(SyntheticShapes.Inside(4, 0, 0.9));
        Assert.True(SyntheticShapes.Inside(6, 0, -0.95));   // top point of the star
        Assert.False(SyntheticShapes.Inside(6, 0, 0.9));    // between the two lower points
        Assert.True(SyntheticShapes.Inside(6, 0, 0));
        Assert.False(SyntheticShapes.Inside(7, 0.5, 0));    // inside the bite of the crescent
        Assert.True(SyntheticShapes.Inside(7, -0.8, 0));
        Assert.True(SyntheticShapes.Inside(8, 0, 0.5));
        Assert.False(SyntheticShapes.Inside(9, 0, 0));
    }

    [Fact]
    public void EveryShapeLiesInsideItsCircumcircle()
    {
        for (int shape = 0; shape < 10; shape++)
        for (int a = 0; a < 720; a++)
        {
            double t = a * Math.PI / 360;
            Assert.False(SyntheticShapes.Inside(shape, 1.001 * Math.Cos(t), 1.001 * Math.Sin(t)), $"shape {shape} at angle {a / 2.0}");
        }
    }

    [Fact]
    public void SyntheticGenerationIsFast()
    {
        var s = new SyntheticShapes(new SyntheticDataConfig { TrainSize = 4000, Rotate = true }, true);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        Parallel.For(0, s.Count, i => s.Load(i));
        Assert.True(sw.Elapsed.TotalSeconds < 3, $"4000 images took {sw.Elapsed.TotalSeconds:F2}s");
    }

    [Fact]
    public void MissingOrEmptyDataIsAClearError()
    {
        using var f = new TestFiles();
        var missing = f.Path("nope");
        var e1 = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "imagefolder", Path = missing }, 0));
        Assert.Contains(missing, e1.Message);
        Directory.CreateDirectory(f.Path("empty", "train", "cls"));
        var e2 = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "imagefolder", Path = f.Path("empty") }, 0));
        Assert.Contains(f.Path("empty", "train"), e2.Message);
        var e3 = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "cifar10", Path = f.Root }, 0));
        Assert.Contains(f.Root, e3.Message);
        File.WriteAllText(f.Path("empty.txt"), "\n# nothing\n");
        var e4 = Assert.Throws<DataException>(() => DataSplits.Open(new DataConfig { Source = "filelist", Path = f.Path("empty.txt") }, 0));
        Assert.Contains("empty.txt", e4.Message);
        Assert.DoesNotContain('\n', e1.Message + e2.Message + e3.Message + e4.Message);
    }

    [Fact]
    public void ValFractionAndLimitAreDeterministicSubsets()
    {
        var cfg = new DataConfig { Synthetic = new SyntheticDataConfig { TrainSize = 100, ValSize = 0 }, ValFraction = 0.2, Limit = 50 };
        var a = DataSplits.Open(cfg, seed: 3);
        var b = DataSplits.Open(cfg, seed: 3);
        Assert.Equal(20, a.Val!.Count);
        Assert.Equal(50, a.Train.Count);
        var trainIdx = ((SubsetSplit)a.Train).Indices;
        Assert.Equal(trainIdx, ((SubsetSplit)b.Train).Indices);
        // Held-out val and train never share a sample.
        var valNames = Enumerable.Range(0, a.Val.Count).Select(a.Val.SampleName).ToHashSet();
        Assert.DoesNotContain(Enumerable.Range(0, a.Train.Count).Select(a.Train.SampleName), valNames.Contains);
        var fr = DataSplits.Open(new DataConfig { Synthetic = new SyntheticDataConfig { TrainSize = 100 }, Fraction = 0.25 }, 3);
        Assert.Equal(25, fr.Train.Count);
    }
}
