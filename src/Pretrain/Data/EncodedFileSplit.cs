namespace Pretrain.Data;

/// <summary>Image files on disk (imagefolder, flat folder, file list), decoded on load.</summary>
public sealed class EncodedFileSplit : IDataSplit, IEncodedSamples
{
    private readonly string[] _paths;
    private readonly long[] _labels;
    private readonly IImageDecoder _decoder;

    public EncodedFileSplit(string description, string[] paths, long[] labels, IReadOnlyList<string> classes, IImageDecoder decoder)
    {
        if (paths.Length != labels.Length) throw new ArgumentException("one label per path");
        (Description, _paths, _labels, Classes, _decoder) = (description, paths, labels, classes, decoder);
    }

    public string Description { get; }
    public int Count => _paths.Length;
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<string> Paths => _paths;
    public long Label(int index) => _labels[index];
    public string SampleName(int index) => _paths[index];
    public (int Width, int Height) ImageSize(int index) => _decoder.ReadSize(File.ReadAllBytes(_paths[index]));
    public byte[] EncodedBytes(int index) => File.ReadAllBytes(_paths[index]);
    public string EncodedExtension(int index) => Path.GetExtension(_paths[index]).TrimStart('.').ToLowerInvariant();
    public PixelImage Load(int index, DecodePlanner? planner = null) =>
        _decoder.Decode(File.ReadAllBytes(_paths[index]), planner);
}
