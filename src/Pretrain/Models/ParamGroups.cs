using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>Weight-decay groups as DINO's get_params_groups: no decay for biases and 1-D parameters.</summary>
public static class ParamGroups
{
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
