using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// PyTorch's AdamW (single-tensor path, amsgrad off): decoupled decay p ← p·(1 − lr·wd), then
/// m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr/bc1 · m / (√v/√bc2 + ε),
/// with bias corrections from the parameter's own step count.
/// </summary>
public sealed class AdamW : OptimizerBase
{
    private readonly double _beta1, _beta2, _eps;

    public AdamW(IReadOnlyList<ParamGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
        : base(groups, ["exp_avg", "exp_avg_sq"])
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1).");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1).");
        if (eps < 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be >= 0.");
        (_beta1, _beta2, _eps) = (beta1, beta2, eps);
    }

    protected override void Update(Slot slot, ParamGroup group, Tensor grad, double lr, double weightDecay)
    {
        var p = slot.Param;
        var expAvg = slot.Buffers[0];
        var expAvgSq = slot.Buffers[1];
        if (weightDecay != 0) p.mul_(1 - lr * weightDecay);
        expAvg.mul_(_beta1).add_(grad, alpha: 1 - _beta1);
        expAvgSq.mul_(_beta2).addcmul_(grad, grad, value: 1 - _beta2);
        double biasCorrection1 = 1 - Math.Pow(_beta1, slot.Steps);
        double biasCorrection2 = 1 - Math.Pow(_beta2, slot.Steps);
        var denom = expAvgSq.sqrt().div_(Math.Sqrt(biasCorrection2)).add_(_eps);
        p.addcdiv_(expAvg, denom, value: -lr / biasCorrection1);
    }
}
