using System.Text.Json.Nodes;
using System.Text.Json;
using Pretrain.Config;

namespace Pretrain.Eval;

/// <summary>The outcome of a linear evaluation, written as `linear_eval.json`.</summary>
public sealed record LinearEvalReport(
    LinearEvalProtocol Protocol, IReadOnlyList<LinearEpoch> History, int FeatureDim, int NumClasses,
    int TrainSamples, int ValSamples, string Checkpoint, bool Completed)
{
    public const string FileName = "linear_eval.json";

    public LinearEpoch Best => History.MaxBy(e => e.Top1) ?? throw new InvalidOperationException("no epoch evaluated");
    public LinearEpoch Last => History[^1];

    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
        ["checkpoint"] = Checkpoint,
        ["backbone"] = Protocol.Backbone,
        ["protocol"] = Protocol.ProtocolName,
        ["mode"] = Protocol.ModeName,
        ["val_resize"] = Pretrain.Config.Choice<Pretrain.Config.ResampleFilter>.Name(Protocol.EvalResizeFilter),
        ["epochs"] = Protocol.Epochs,
        ["completed"] = Completed,
        ["batch_size"] = Protocol.BatchSize,
        ["base_lr"] = Protocol.BaseLr,
        ["lr"] = Protocol.Lr,
        ["feature_dim"] = FeatureDim,
        ["num_classes"] = NumClasses,
        ["train_samples"] = TrainSamples,
        ["val_samples"] = ValSamples,
        ["best_top1"] = Math.Round(Best.Top1, 4),
        ["best_epoch"] = Best.Epoch,
        ["last_top1"] = Math.Round(Last.Top1, 4),
        ["top5"] = Math.Round(Last.Top5, 4),
        ["history"] = new JsonArray(History.Select(e => (JsonNode)new JsonObject
        {
            ["epoch"] = e.Epoch,
            ["top1"] = Math.Round(e.Top1, 4),
            ["top5"] = Math.Round(e.Top5, 4),
            ["train_loss"] = Math.Round(e.TrainLoss, 6),
            ["lr"] = e.Lr,
        }).ToArray()),
        };
        if (Protocol.Protocol == MethodKind.Dino)
        {
            json["n_last_blocks"] = Protocol.NLastBlocks;
            json["avgpool_patch_tokens"] = Protocol.AvgpoolPatchTokens;
        }
        return json;
    }

    public string Write(string dir)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, FileName);
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, path, overwrite: true);
        return path;
    }
}
