using Pretrain.Checkpoints;
using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// CRC-32C of the bytes of every parameter and buffer of a backbone (BatchNorm running statistics
/// included), so an evaluation can prove afterwards that the frozen backbone was left exactly as found.
/// </summary>
public sealed class BackboneFingerprint
{
    private readonly Dictionary<string, uint> _crcs;

    private BackboneFingerprint(Dictionary<string, uint> crcs) => _crcs = crcs;

    public IReadOnlyDictionary<string, uint> Checksums => _crcs;

    public static BackboneFingerprint Take(Backbone backbone)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var crcs = new Dictionary<string, uint>();
        var tensors = backbone.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(backbone.named_buffers());
        foreach (var (name, t) in tensors)
            crcs[name] = Crc32C.Compute(t.detach().cpu().contiguous().bytes);
        return new BackboneFingerprint(crcs);
    }

    /// <summary>Names whose bytes differ from this fingerprint (or that appeared or vanished).</summary>
    public IReadOnlyList<string> Changed(BackboneFingerprint now) =>
        _crcs.Keys.Union(now._crcs.Keys)
            .Where(k => !_crcs.TryGetValue(k, out var a) || !now._crcs.TryGetValue(k, out var b) || a != b)
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Fails loudly when the backbone differs from this fingerprint.</summary>
    public void Verify(Backbone backbone, string what)
    {
        var changed = Changed(Take(backbone));
        if (changed.Count > 0)
            throw new InvalidOperationException(
                $"{what}: the frozen backbone changed ({changed.Count} tensors: {string.Join(", ", changed.Take(8))}{(changed.Count > 8 ? ", ..." : "")}); the result is void");
    }
}
