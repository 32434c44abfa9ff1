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
            new ParamGroup { Name = "decay", Params = decay, ApplyWeightDecay = true, LarsAdapt = true },
            new ParamGroup { Name = "no_decay", Params = noDecay, ApplyWeightDecay = false, LarsAdapt = false },
        ];
    }
}
