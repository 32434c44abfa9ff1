using Pretrain.Config;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// How a module's trainable parameters are split into <see cref="ParamGroup"/>s. Always two groups, in
/// this order: weights (ndim &gt; 1), then biases and 1-D parameters (norms); frozen parameters are in no
/// group. LARS adapts the first group only (MoCo v3's and DINO's LARS). Weight decay follows the
/// method's recipe (<see cref="NoDecayRule"/>): DINO's get_params_groups and LARS skip the second group;
/// MoCo v3 with AdamW decays both (`main_moco.py` passes model.parameters()). The split is the same for
/// every rule, so the optimizer state's keys do not depend on it.
/// </summary>
public static class ParamGroups
{
    /// <summary>Weight decay and LARS adaptation on weights only: "decay" then "no_decay".</summary>
    public static IReadOnlyList<ParamGroup> Standard(nn.Module module) => For(module, NoDecayRule.BiasAndNorm);

    /// <summary>The two groups for a resolved <paramref name="rule"/> (not <see cref="NoDecayRule.Auto"/>).</summary>
    public static IReadOnlyList<ParamGroup> For(nn.Module module, NoDecayRule rule)
    {
        if (rule == NoDecayRule.Auto) throw new ArgumentException("resolve optimizer.no_decay 'auto' first (MethodDefaults.NoDecay)", nameof(rule));
        var (decay, noDecay) = Split(module);
        var decayAll = rule == NoDecayRule.None;
        return
        [
            new ParamGroup(decay, ApplyWeightDecay: true, LarsAdapt: true, Name: "decay"),
            new ParamGroup(noDecay, ApplyWeightDecay: decayAll, LarsAdapt: false, Name: decayAll ? "bias_and_1d" : "no_decay"),
        ];
    }

    /// <summary>Trainable parameters split into (decay, noDecay); frozen parameters are in neither.</summary>
    public static (List<Parameter> Decay, List<Parameter> NoDecay) Split(nn.Module module)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in module.named_parameters())
        {
            if (!p.requires_grad) continue;
            if (name.EndsWith(".bias") || name == "bias" || p.ndim <= 1) noDecay.Add(p);
            else decay.Add(p);
        }
        return (decay, noDecay);
    }
}
