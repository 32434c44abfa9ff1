using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Common;

/// <summary>
/// Every host → device copy of a training step goes through here. On a CUDA device the host tensor is
/// copied into pinned (page-locked) memory and sent with non_blocking: the call returns at once, the
/// copy is queued on the current stream in order with the step's kernels, and no copy waits for the
/// device to drain (a plain .to(cuda) from pageable memory synchronises the stream). PyTorch's caching
/// host allocator keeps a pinned block until the copies queued from it have run, so the pinned
/// tensor may be disposed right away. On the CPU it is the plain .to(device): no copy, no pinning.
/// </summary>
public static class HostToDevice
{
    /// <summary>Whether copies to <paramref name="device"/> go through pinned memory, non-blocking.</summary>
    public static bool Pinned(Device device) => device.type == DeviceType.CUDA;

    /// <summary><paramref name="host"/> (a CPU tensor) on <paramref name="device"/>.</summary>
    public static Tensor Copy(Tensor host, Device device)
    {
        if (!Pinned(device) || host.device.type != DeviceType.CPU) return host.to(device);
        using var pinned = host.pin_memory();
        return pinned.to(device, non_blocking: true);
    }

    public static Tensor From(float[] values, long[] shape, Device device) => Copy(tensor(values, shape, ScalarType.Float32), device);

    public static Tensor From(long[] values, long[] shape, Device device) => Copy(tensor(values, shape, ScalarType.Int64), device);
}
