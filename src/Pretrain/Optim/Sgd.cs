using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// PyTorch's SGD with dampening 0 and no Nesterov: d = g + wd·p; buf ← μ·buf + d; p ← p − lr·buf.
/// The buffer starts at zero, which equals PyTorch's "first buffer = clone(d)" exactly.
/// With momentum 0 there is no buffer and p ← p − lr·d.
/// </summary>
public sealed class Sgd : OptimizerBase
{
    private readonly double _momentum;

    public Sgd(IReadOnlyList<ParamGroup> groups, double momentum = 0.9)
        : base(groups, momentum != 0 ? ["momentum_buffer"] : [])
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be >= 0.");
        _momentum = momentum;
    }

    protected override void Update(Slot slot, ParamGroup group, Tensor grad, double lr, double weightDecay)
    {
        var p = slot.Param;
        var d = weightDecay != 0 ? grad.add(p, alpha: weightDecay) : grad;
        if (_momentum != 0)
        {
            var buf = slot.Buffers[0];
            buf.mul_(_momentum).add_(d);
            d = buf;
        }
        p.add_(d, alpha: -lr);
    }
}
