using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// All-reduces many tensors as one: gradients go across in one call on one flat buffer instead of one
/// call per parameter, which matters for latency-bound small tensors (biases, norms).
/// </summary>
public static class CoalescedAllReduce
{
    /// <summary>
    /// Copies the float32 tensors (all on one device) into one flat buffer, all-reduces it and copies each
    /// piece back in place. Costs two model-sized copies; a <see cref="FlatBuffer"/> that the tensors
    /// already view avoids them.
    /// </summary>
    public static void AllReduceCoalesced(this ICollectives collectives, IReadOnlyList<torch.Tensor> tensors, ReduceOp op)
    {
        ArgumentNullException.ThrowIfNull(collectives);
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Count == 0) return;
        foreach (var t in tensors) TensorChecks.Float32(t, nameof(tensors));
        var first = tensors[0];
        if (tensors.Any(t => t.device_type != first.device_type || t.device_index != first.device_index))
            throw new ArgumentException($"coalesced tensors must share one device; found {string.Join(", ", tensors.Select(t => t.device.ToString()).Distinct())}", nameof(tensors));

        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var flat = torch.cat(tensors.Select(t => t.reshape(-1)).ToList(), 0);
        collectives.AllReduce(flat, op);
        long offset = 0;
        foreach (var t in tensors)
        {
            long n = t.numel();
            t.copy_(flat.narrow(0, offset, n).view_as(t));
            offset += n;
        }
    }
}
