using Pretrain.Models;
using Pretrain.Training.Optim;
using static TorchSharp.torch;

namespace Pretrain.Training;

/// <summary>The standard split: weight decay and LARS adaptation on weights (ndim &gt; 1), neither on
/// biases and 1-D parameters (norms); frozen parameters are left out.</summary>
public static class OptimizerGroups
{
    public static IReadOnlyList<ParamGroup> Build(nn.Module online)
    {
        var (decay, noDecay) = ParamGroups.Split(online);
        return
        [
            new ParamGroup(decay, ApplyWeightDecay: true, LarsAdapt: true, Name: "decay"),
            new ParamGroup(noDecay, ApplyWeightDecay: false, LarsAdapt: false, Name: "no_decay"),
        ];
    }
}
