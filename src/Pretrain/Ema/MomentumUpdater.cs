using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch.nn;
using static TorchSharp.torch;

namespace Pretrain.Ema;

/// <summary>
/// The momentum (EMA) encoder update shared by MoCo v3's key encoder and DINO's teacher.
/// Parameters are matched by name: every target parameter must exist in the online module with the
/// same shape, dtype and device; the online module may have more (MoCo's predictor).
/// </summary>
public static class MomentumUpdater
{
    private sealed record Pairing(Tensor[] OnlineAll, Tensor[] TargetAll, (Tensor Target, Tensor Online)[] Params);

    // The name matching and shape checks run once per (online, target) pair; later updates reuse
    // the matched list. Keyed weakly on the target so a dropped model is not kept alive. The cheap
    // identity check on every call catches parameters replaced since (e.g. by module.to(device)).
    private static readonly ConditionalWeakTable<Module, Pairing> Pairings = new();

    /// <summary>
    /// θ_t ← m·θ_t + (1−m)·θ_o for every target parameter, in place and without autograd.
    /// Buffers are left alone on purpose: MoCo v3's momentum encoder keeps the BatchNorm running
    /// statistics of its own forward passes (as in the reference implementation, which averages
    /// parameters() only), and DINO's ViT teacher has no buffers that an average would make sense for.
    /// </summary>
    public static void Update(Module online, Module target, double m)
    {
        ArgumentNullException.ThrowIfNull(online);
        ArgumentNullException.ThrowIfNull(target);
        if (m is < 0 or > 1 || double.IsNaN(m)) throw new ArgumentOutOfRangeException(nameof(m), m, "momentum must be in [0, 1].");
        Tensor[] onlineAll = [.. online.parameters()], targetAll = [.. target.parameters()];
        if (!Pairings.TryGetValue(target, out var pairing) || !SameObjects(pairing.OnlineAll, onlineAll) || !SameObjects(pairing.TargetAll, targetAll))
        {
            pairing = new Pairing(onlineAll, targetAll, Match(
                online.named_parameters().Select(np => (np.name, (Tensor)np.parameter)),
                target.named_parameters().Select(np => (np.name, (Tensor)np.parameter)),
                "parameter"));
            Pairings.AddOrUpdate(target, pairing);
        }
        using var noGrad = torch.no_grad();
        foreach (var (t, o) in pairing.Params)
            t.mul_(m).add_(o, alpha: 1 - m);
    }

    /// <summary>
    /// Initialises the target as an exact copy of the online module's parameters and buffers (matched
    /// by name as in <see cref="Update"/>) and turns off requires_grad on the target's parameters.
    /// </summary>
    public static void CopyInto(Module online, Module target)
    {
        ArgumentNullException.ThrowIfNull(online);
        ArgumentNullException.ThrowIfNull(target);
        var parameters = Match(
            online.named_parameters().Select(np => (np.name, (Tensor)np.parameter)),
            target.named_parameters().Select(np => (np.name, (Tensor)np.parameter)),
            "parameter");
        var buffers = Match(online.named_buffers(), target.named_buffers(), "buffer");
        using (torch.no_grad())
        {
            foreach (var (t, o) in parameters.Concat(buffers)) t.copy_(o);
        }
        foreach (var (_, p) in target.named_parameters()) p.requires_grad = false;
    }

    private static bool SameObjects(Tensor[] a, Tensor[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (!ReferenceEquals(a[i], b[i])) return false;
        return true;
    }

    private static (Tensor Target, Tensor Online)[] Match(
        IEnumerable<(string name, Tensor tensor)> online, IEnumerable<(string name, Tensor tensor)> target, string kind)
    {
        var onlineByName = online.ToDictionary(x => x.name, x => x.tensor);
        var pairs = new List<(Tensor, Tensor)>();
        var problems = new List<string>();
        foreach (var (name, t) in target)
        {
            if (!onlineByName.TryGetValue(name, out var o))
            {
                problems.Add($"{name}: missing in the online module");
                continue;
            }
            if (!t.shape.SequenceEqual(o.shape) || t.dtype != o.dtype || t.device_type != o.device_type || t.device_index != o.device_index)
            {
                problems.Add($"{name}: target {t.dtype}[{string.Join(",", t.shape)}] on {t.device} vs online {o.dtype}[{string.Join(",", o.shape)}] on {o.device}");
                continue;
            }
            pairs.Add((t, o));
        }
        if (problems.Count > 0)
            throw new ArgumentException($"Momentum target does not match the online module ({kind}s): {string.Join("; ", problems.Take(8))}" +
                                        (problems.Count > 8 ? $"; ... (+{problems.Count - 8} more)" : ""));
        return [.. pairs];
    }
}
