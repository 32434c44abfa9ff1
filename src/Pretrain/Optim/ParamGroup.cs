using TorchSharp.Modules;

namespace Pretrain.Optim;

/// <summary>
/// A set of parameters that share update rules. The caller builds the groups (e.g. "decay" for
/// weights, "no_decay" for biases and 1-D params) so the optimizers stay ignorant of model structure.
/// </summary>
/// <param name="Params">The parameters; each may belong to one group only.</param>
/// <param name="ApplyWeightDecay">When false the group is stepped with weight decay 0.</param>
/// <param name="LarsAdapt">LARS only: apply weight decay and the trust-ratio scaling (MoCo v3 sets it for ndim &gt; 1).</param>
/// <param name="Name">For logs and error messages.</param>
public sealed record ParamGroup(IReadOnlyList<Parameter> Params, bool ApplyWeightDecay, bool LarsAdapt, string Name);
