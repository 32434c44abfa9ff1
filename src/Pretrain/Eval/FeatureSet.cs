using Pretrain.Checkpoints;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>Train and val features with labels, savable so several evaluations reuse one extraction.
/// Stored in the checkpoint file format (checksummed, atomic).</summary>
public sealed record FeatureSet(Tensor TrainX, Tensor TrainY, Tensor ValX, Tensor ValY, int NumClasses) : IDisposable
{
    public void Save(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tensors = new Dictionary<string, Tensor> { ["train.x"] = TrainX, ["train.y"] = TrainY, ["val.x"] = ValX, ["val.y"] = ValY };
        var tmp = path + ".tmp";
        CheckpointFile.Write(tmp, new Checkpoint(tensors, $"{{\"num_classes\":{NumClasses}}}"));
        File.Move(tmp, path, overwrite: true);
    }

    public static FeatureSet Load(string path, Device device)
    {
        var c = CheckpointStore.Load(path);
        var classes = System.Text.Json.Nodes.JsonNode.Parse(c.MetadataJson)!["num_classes"]!.GetValue<int>();
        return new FeatureSet(c.Tensors["train.x"].to(device), c.Tensors["train.y"].to(device), c.Tensors["val.x"].to(device), c.Tensors["val.y"].to(device), classes);
    }

    public void Dispose()
    {
        TrainX.Dispose();
        TrainY.Dispose();
        ValX.Dispose();
        ValY.Dispose();
    }
}
