using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// MoCo v3's LARS. For groups with <see cref="ParamGroup.LarsAdapt"/> (MoCo v3: ndim &gt; 1):
/// d = g + wd·p, q = trust·‖p‖/‖d‖ when both norms are positive, else 1, d ← q·d.
/// Other groups get d = g (no decay, no adaptation, whatever ApplyWeightDecay says).
/// Then μ ← momentum·μ + d and p ← p − lr·μ. The trust ratio stays on the device: no .item().
/// </summary>
public sealed class Lars : OptimizerBase
{
    private readonly double _momentum, _trust;

    public Lars(IReadOnlyList<ParamGroup> groups, double momentum = 0.9, double trustCoefficient = 0.001)
        : base(groups, ["mu"])
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be >= 0.");
        if (trustCoefficient <= 0) throw new ArgumentOutOfRangeException(nameof(trustCoefficient), trustCoefficient, "trust coefficient must be > 0.");
        (_momentum, _trust) = (momentum, trustCoefficient);
    }

    protected override void Update(Slot slot, ParamGroup group, Tensor grad, double lr, double weightDecay)
    {
        var p = slot.Param;
        var d = grad;
        if (group.LarsAdapt)
        {
            d = grad.add(p, alpha: weightDecay);
            var paramNorm = p.norm();
            var updateNorm = d.norm();
            var one = torch.ones_like(paramNorm);
            var ratio = paramNorm.mul(_trust).div_(updateNorm);
            var q = torch.where(paramNorm.gt(0.0), torch.where(updateNorm.gt(0.0), ratio, one), one);
            d.mul_(q);
        }
        var mu = slot.Buffers[0];
        mu.mul_(_momentum).add_(d);
        p.add_(mu, alpha: -lr);
    }
}
