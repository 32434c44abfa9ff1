using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// One contiguous zero-filled tensor and views into it shaped like the given tensors (DDP's
/// gradient_as_bucket_view): assign the views as the parameters' .grad once, autograd accumulates into
/// them, and each step needs only one all-reduce of <see cref="Flat"/> with no copies.
/// Anything that replaces a .grad instead of writing into it (Module.zero_grad() with its default
/// set_to_none: true) breaks the aliasing; <see cref="Aliases"/> detects it.
/// </summary>
public sealed class FlatBuffer : IDisposable
{
    readonly long[] offsets;

    FlatBuffer(torch.Tensor flat, IReadOnlyList<torch.Tensor> views, long[] offsets)
    {
        Flat = flat;
        Views = views;
        this.offsets = offsets;
    }

    /// <summary>A buffer with one view per template, each of the template's shape, in order, on the
    /// templates' device and of their dtype (all templates must agree on both).</summary>
    public static FlatBuffer ZerosLike(IReadOnlyList<torch.Tensor> templates)
    {
        ArgumentNullException.ThrowIfNull(templates);
        if (templates.Count == 0) throw new ArgumentException("a flat buffer needs at least one tensor", nameof(templates));
        var dtype = templates[0].dtype;
        var device = templates[0].device;
        if (templates.Any(t => t.dtype != dtype || t.device_type != device.type || t.device_index != device.index))
            throw new ArgumentException("the tensors of one flat buffer must share dtype and device", nameof(templates));

        var offsets = new long[templates.Count];
        long total = 0;
        for (int i = 0; i < templates.Count; i++) { offsets[i] = total; total += templates[i].numel(); }
        var flat = torch.zeros(total, dtype, device);
        var views = new torch.Tensor[templates.Count];
        for (int i = 0; i < templates.Count; i++)
            views[i] = flat.narrow(0, offsets[i], templates[i].numel()).view(templates[i].shape);
        return new FlatBuffer(flat, views, offsets);
    }

    /// <summary>The whole buffer, 1-D.</summary>
    public torch.Tensor Flat { get; }

    /// <summary>The pieces, shaped like the templates; writing one writes <see cref="Flat"/>.</summary>
    public IReadOnlyList<torch.Tensor> Views { get; }

    /// <summary>True when <paramref name="t"/> is the memory of view <paramref name="index"/>, e.g. a
    /// parameter's .grad after backward(), so the aliasing still holds.</summary>
    public bool Aliases(int index, torch.Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return t.numel() == Views[index].numel() && TensorMemory.Address(t) == TensorMemory.Address(Flat) + (nint)(offsets[index] * Flat.ElementSize);
    }

    public void Dispose()
    {
        foreach (var v in Views) v.Dispose();
        Flat.Dispose();
    }
}
