namespace Pretrain.Data;

/// <summary>One split (train or val) of a dataset: indexable samples with labels known without decoding.</summary>
public interface IDataSplit
{
    /// <summary>Where it comes from, for messages (e.g. "imagefolder /data/imagenet/train").</summary>
    string Description { get; }
    int Count { get; }
    /// <summary>Class names by label; empty when the split is unlabeled.</summary>
    IReadOnlyList<string> Classes { get; }
    /// <summary>Label of a sample, -1 when unlabeled.</summary>
    long Label(int index);
    /// <summary>What to name in a log line when the sample is bad (a file path, or file + record).</summary>
    string SampleName(int index);
    /// <summary>Stored pixel size (cheap: header only for files).</summary>
    (int Width, int Height) ImageSize(int index);
    /// <summary>Pixels of a sample; may be reduced in scale, or cut to a region, as far as <paramref name="planner"/> allows.</summary>
    PixelImage Load(int index, DecodePlanner? planner = null);
}
