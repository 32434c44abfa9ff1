using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>Gradient clipping done entirely on the device (no .item() per parameter).</summary>
public static class GradClip
{
    /// <summary>
    /// DINO's utils.clip_gradients: each gradient separately, coef = max/(‖g‖+1e-6), scaled by coef
    /// when coef &lt; 1. Multiplying by min(coef, 1) is the same without reading the norm on the host.
    /// </summary>
    public static void PerParameter(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        foreach (var p in parameters)
        {
            var grad = p.grad;
            if (grad is null) continue;
            var coef = (maxNorm / grad.norm(2.0f).add_(1e-6)).clamp_max_(1.0);
            grad.mul_(coef);
        }
    }

    /// <summary>
    /// torch.nn.utils.clip_grad_norm_ (2-norm): total = ‖(‖g_1‖, …, ‖g_n‖)‖, every gradient scaled by
    /// min(max/(total+1e-6), 1). Returns the total norm before clipping as a 0-dim tensor (zero when
    /// no parameter has a gradient); the caller owns it and reads it only when it logs.
    /// </summary>
    public static Tensor Global(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        using var noGrad = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return scope.MoveToOuter(torch.tensor(0.0f));
        var total = torch.stack(grads.Select(g => g.norm(2.0f))).norm(2.0f);
        var coef = (maxNorm / total.add(1e-6)).clamp_max_(1.0);
        foreach (var g in grads) g.mul_(coef.to(g.device));
        return scope.MoveToOuter(total);
    }
}
