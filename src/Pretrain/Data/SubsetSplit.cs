namespace Pretrain.Data;

/// <summary>A view of some samples of another split (held-out val, data.fraction / data.limit).</summary>
public sealed class SubsetSplit : IDataSplit
{
    private readonly IDataSplit _inner;

    public SubsetSplit(IDataSplit inner, int[] indices, string what)
    {
        (_inner, Indices) = (inner, indices);
        Description = $"{inner.Description} ({what}: {indices.Length} of {inner.Count})";
    }

    public IDataSplit Inner => _inner;
    /// <summary>Indices into the inner split, ascending.</summary>
    public int[] Indices { get; }
    public string Description { get; }
    public int Count => Indices.Length;
    public IReadOnlyList<string> Classes => _inner.Classes;
    public long Label(int index) => _inner.Label(Indices[index]);
    public string SampleName(int index) => _inner.SampleName(Indices[index]);
    public (int Width, int Height) ImageSize(int index) => _inner.ImageSize(Indices[index]);
    public PixelImage Load(int index, DecodePlanner? planner = null) => _inner.Load(Indices[index], planner);
}
