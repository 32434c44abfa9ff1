namespace Pretrain.Methods.Losses;

/// <summary>
/// How SDMP turns two weighted positives into a loss (config sdmp.target):
/// SoftCe ("soft_ce", the paper and first official release): w_self·CE(i) + w_flip·CE(p(i));
/// ProbMix ("prob_mix", the latest official code): -log(w_self·P_i,i + w_flip·P_i,p(i)).
/// </summary>
public enum SdmpTarget
{
    SoftCe,
    ProbMix,
}

public static class SdmpTargets
{
    public static SdmpTarget Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "soft_ce" => SdmpTarget.SoftCe,
        "prob_mix" => SdmpTarget.ProbMix,
        _ => throw new ArgumentException($"unknown sdmp.target '{name}' (use soft_ce or prob_mix)"),
    };
}
