using System.Runtime.InteropServices;
using TorchSharp;

namespace Pretrain.Distributed;

/// <summary>
/// The address of a tensor's first element. TorchSharp 0.107 has no data_ptr(); Tensor.bytes gives a
/// Span, but only over CPU memory and at most 2 GB, and both MPI (chunked counts beyond 2^30 floats)
/// and NCCL (device memory) need more. LibTorchSharp's own export is tensor->data_ptr(), which includes
/// the storage offset, so views (narrow, slices of a flat buffer) give the address of their first element.
/// </summary>
internal static class TensorMemory
{
    public static nint Address(torch.Tensor t)
    {
        var p = THSTensor_data(t.Handle);
        if (p == 0 && t.numel() > 0)
        {
            torch.CheckForErrors();
            throw new InvalidOperationException("THSTensor_data returned a null pointer for a non-empty tensor");
        }
        return p;
    }

    /// <summary>Bytes the tensor's elements occupy (contiguous tensors only).</summary>
    public static long ByteCount(torch.Tensor t) => t.numel() * t.ElementSize;

    [DllImport("LibTorchSharp")]
    static extern nint THSTensor_data(nint tensor);
}
