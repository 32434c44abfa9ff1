using System.Text.Json.Nodes;
using Pretrain.Checkpoints;
using Pretrain.Config;
using Pretrain.Methods;
using Pretrain.Models;
using Pretrain.Schedules;
using Pretrain.Training;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>A pretraining checkpoint opened for evaluation or export: its resolved config and the
/// method rebuilt from it with the saved weights, so any of its backbones can be taken.</summary>
public sealed class PretrainedModel : IDisposable
{
    public required RunConfig Config { get; init; }
    public required ISslMethod Method { get; init; }
    public required string CheckpointPath { get; init; }
    public required long Step { get; init; }

    /// <summary>The run folder the checkpoint belongs to (parent of checkpoints/), or the checkpoint's folder.</summary>
    public string RunDir
    {
        get
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(CheckpointPath))!;
            return Path.GetFileName(dir) == "checkpoints" ? Path.GetDirectoryName(dir)! : dir;
        }
    }

    /// <summary>Opens a checkpoint file, or the newest valid checkpoint of a run folder.</summary>
    public static PretrainedModel Open(string checkpointOrRunDir, Device device, Action<string>? warn = null)
    {
        var path = Resolve(checkpointOrRunDir, warn ?? (_ => { }));
        var ckpt = CheckpointStore.Load(path);
        var meta = JsonNode.Parse(ckpt.MetadataJson)!.AsObject();
        var cfg = ConfigLoader.FromYaml(meta["config"]!.GetValue<string>(), path);
        var plan = new TrainingPlan(meta["steps_per_epoch"]!.GetValue<int>(), cfg.Training.Epochs, 0);
        var method = MethodFactory.Create(cfg, plan, device);
        method.LoadState(ckpt.Select("method."));
        ckpt.DisposeTensors();
        method.SetTraining(false);
        return new PretrainedModel { Config = cfg, Method = method, CheckpointPath = path, Step = meta[CheckpointStore.GlobalStepKey]!.GetValue<long>() };
    }

    private static string Resolve(string p, Action<string> warn)
    {
        if (File.Exists(p)) return p;
        if (!Directory.Exists(p)) throw new UserInputException($"{p}: no such checkpoint file or run folder");
        var ckptDir = Path.Combine(p, "checkpoints");
        var store = new CheckpointStore(Directory.Exists(ckptDir) ? ckptDir : p, keepLast: 0);
        return store.ResolveAuto(warn) ?? throw new UserInputException($"{p}: no valid checkpoint in this folder");
    }

    public Backbone Backbone(string which = "default") => Method.ProbeBackbone(which);

    public void Dispose() => Method.Dispose();
}
