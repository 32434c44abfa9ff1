using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// How a module's trainable parameters are split into <see cref="ParamGroup"/>s: weight decay and LARS
/// adaptation on weights (ndim &gt; 1), neither on biases and 1-D parameters (norms), as DINO's
/// get_params_groups and MoCo v3's LARS exclusion do. Frozen parameters are in no group.
/// </summary>
public static class ParamGroups
{
    /// <summary>The two groups the optimizers step: "decay" then "no_decay".</summary>
    public static IReadOnlyList<ParamGroup> Standard(nn.Module module)
    {
        var (decay, noDecay) = Split(module);
        return
        [
            new ParamGroup(decay, ApplyWeightDecay: true, LarsAdapt: true, Name: "decay"),
            new ParamGroup(noDecay, ApplyWeightDecay: false, LarsAdapt: false, Name: "no_decay"),
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
