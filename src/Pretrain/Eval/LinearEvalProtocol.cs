using Pretrain.Config;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// The resolved linear-evaluation recipe (docs/recipes.md, Evaluation): which features, how many epochs,
/// batch, learning rate, and whether the classifier trains on cached features (fast) or on augmented
/// passes through the frozen backbone (full).
/// </summary>
public sealed record LinearEvalProtocol(
    MethodKind Protocol, int Epochs, int BatchSize, double BaseLr, LinearModeKind Mode, int NLastBlocks, bool AvgpoolPatchTokens, string Backbone)
{
    /// <summary>`mode: auto` trains on cached features up to this many train samples.</summary>
    public const int FastModeMaxSamples = 100_000;

    /// <summary>Peak learning rate: base_lr × batch/256 (the linear scaling rule of both recipes).</summary>
    public double Lr => BaseLr * BatchSize / 256.0;

    public string ProtocolName => Choice<MethodKind>.Name(Protocol);
    public string ModeName => Choice<LinearModeKind>.Name(Mode);

    /// <summary>The val (and fast-mode train) resize before the centre crop: MoCo v3's main_lincls uses
    /// torchvision's default, bilinear; DINO's eval_linear uses bicubic (interpolation=3).</summary>
    public ResampleFilter EvalResizeFilter => Protocol == MethodKind.Mocov3 ? ResampleFilter.Bilinear : ResampleFilter.Bicubic;

    /// <summary>One line for the console: protocol, mode (and what it means), epochs, batch, lr.</summary>
    public string Summary => $"protocol {ProtocolName}, mode {ModeName} ({(Mode == LinearModeKind.Fast ? "classifier on cached un-augmented features" : "augmented passes through the frozen backbone every epoch")}), " +
        $"{Epochs} epochs, batch {BatchSize}, lr {Lr:g4}, val resize {Choice<ResampleFilter>.Name(EvalResizeFilter)}";

    public static LinearEvalProtocol Resolve(RunConfig cfg, int trainSamples)
    {
        var l = cfg.Eval.Linear;
        var protocol = l.ProtocolKind switch
        {
            LinearProtocolKind.Auto => cfg.Method.Kind,
            LinearProtocolKind.Mocov3 => MethodKind.Mocov3,
            _ => MethodKind.Dino,
        };
        bool resnet = cfg.Model.ArchKind is ArchKind.Resnet18 or ArchKind.Resnet50 or ArchKind.Resnet;
        int epochs = l.Epochs > 0 ? l.Epochs : protocol == MethodKind.Mocov3 ? 90 : 100;
        double baseLr = l.BaseLr > 0 ? l.BaseLr : protocol == MethodKind.Dino ? 1e-3 : resnet ? 0.1 : 3.0;
        var mode = l.ModeKind == LinearModeKind.Auto ? (trainSamples <= FastModeMaxSamples ? LinearModeKind.Fast : LinearModeKind.Full) : l.ModeKind;
        return new LinearEvalProtocol(protocol, epochs, l.BatchSize, baseLr, mode, l.NLastBlocks, l.AvgpoolPatchTokens, l.Backbone);
    }

    /// <summary>Per-epoch half cosine from <see cref="Lr"/> to 0 (MoCo v3 main_lincls, DINO CosineAnnealingLR).</summary>
    public double LrAt(int epoch) => Lr * 0.5 * (1 + Math.Cos(Math.PI * epoch / Epochs));

    /// <summary>Images [B,3,H,W] → classifier input: the pooled feature (mocov3), or the CLS tokens of the
    /// last <see cref="NLastBlocks"/> blocks concatenated, optionally with the mean patch token (dino).</summary>
    public Func<Tensor, Tensor> Features(Backbone backbone)
    {
        if (Protocol == MethodKind.Mocov3) return x => backbone.call(x);
        return x =>
        {
            using var scope = NewDisposeScope();
            int n = backbone is VisionTransformer vit ? Math.Min(NLastBlocks, vit.Settings.Depth) : 1;
            if (backbone is VisionTransformer v && NLastBlocks > v.Settings.Depth)
                throw new UserInputException($"eval.linear.n_last_blocks {NLastBlocks} exceeds the backbone's {v.Settings.Depth} blocks");
            var tokens = backbone.LastBlockTokens(x, n, patchMean: AvgpoolPatchTokens);
            var parts = tokens.PatchMean is { } patch ? [.. tokens.Cls, patch] : tokens.Cls;
            return cat(parts, 1).MoveToOuterDisposeScope();
        };
    }
}
