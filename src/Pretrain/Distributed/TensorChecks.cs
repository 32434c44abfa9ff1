using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>Argument checks shared by the implementations, so every backend rejects the same misuse
/// with the same message.</summary>
internal static class TensorChecks
{
    public static void Float32(torch.Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.dtype != torch.ScalarType.Float32)
            throw new ArgumentException($"collectives reduce and gather float32 tensors; got {t.dtype}", name);
    }

    /// <summary>MPI reads and writes the tensor's memory directly, so it must be host memory laid out densely.</summary>
    public static void ContiguousCpu(torch.Tensor t, string name, string backend)
    {
        if (t.device_type != DeviceType.CPU)
            throw new ArgumentException($"{backend} collectives need CPU tensors; got a tensor on {t.device} (use NCCL for CUDA tensors, or copy to the CPU)", name);
        if (!t.is_contiguous())
            throw new ArgumentException($"{backend} collectives need contiguous tensors (call .contiguous() first); got shape [{string.Join(", ", t.shape)}] with strides [{string.Join(", ", t.stride())}]", name);
    }

    public static void Root(int root, int worldSize)
    {
        if (root < 0 || root >= worldSize)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {worldSize})");
    }

    /// <summary>The shape of <paramref name="worldSize"/> copies of the tensor stacked along dim 0 (a 0-dim tensor is one row).</summary>
    public static long[] GatheredShape(torch.Tensor local, int worldSize)
    {
        if (local.dim() == 0) return [worldSize];
        var shape = local.shape.ToArray();
        shape[0] *= worldSize;
        return shape;
    }
}
