namespace Pretrain.Data;

/// <summary>Fixed-size RGB images held in one HWC byte array (CIFAR, IDX): loading is a copy.</summary>
public sealed class InMemorySplit : IDataSplit
{
    private readonly byte[] _pixels;
    private readonly long[] _labels;
    private readonly int _width, _height;
    private readonly string _sampleNamePrefix;

    public InMemorySplit(string description, string sampleNamePrefix, int width, int height, byte[] pixelsHwc,
        long[] labels, IReadOnlyList<string> classes)
    {
        if (pixelsHwc.LongLength != (long)labels.Length * width * height * 3)
            throw new ArgumentException("pixel array does not match count x H x W x 3", nameof(pixelsHwc));
        (Description, _sampleNamePrefix, _width, _height, _pixels, _labels, Classes) =
            (description, sampleNamePrefix, width, height, pixelsHwc, labels, classes);
    }

    public string Description { get; }
    public int Count => _labels.Length;
    public IReadOnlyList<string> Classes { get; }
    public long Label(int index) => _labels[index];
    public string SampleName(int index) => $"{_sampleNamePrefix} #{index}";
    public (int Width, int Height) ImageSize(int index) => (_width, _height);

    public PixelImage Load(int index, DecodePlanner? planner = null)
    {
        int n = _width * _height * 3;
        var px = new byte[n];
        Array.Copy(_pixels, (long)index * n, px, 0, n);
        return new PixelImage(_width, _height, 3, px);
    }
}
