namespace Pretrain.Mixing;

/// <summary>The SDMP mixing ops, named in config as mixup | cutmix | resizemix.</summary>
public enum MixOp
{
    Mixup = 0,
    CutMix = 1,
    ResizeMix = 2,
}

public static class MixOps
{
    public static MixOp Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "mixup" => MixOp.Mixup,
        "cutmix" => MixOp.CutMix,
        "resizemix" => MixOp.ResizeMix,
        _ => throw new ArgumentException($"unknown sdmp op '{name}' (use mixup, cutmix or resizemix)"),
    };
}
