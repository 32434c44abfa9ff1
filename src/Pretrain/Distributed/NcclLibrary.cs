using System.Runtime.InteropServices;
using Pretrain.Config;

namespace Pretrain.Distributed;

/// <summary>NCCL's ncclUniqueId: 128 opaque bytes (NCCL_UNIQUE_ID_BYTES), passed by value to ncclCommInitRank.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NcclUniqueId
{
    public const int Bytes = 128;
    public fixed byte Internal[Bytes];
}

/// <summary>
/// NCCL's C API (nccl.h), loaded at run time from libnccl.so.2. TorchSharp's CUDA build links NCCL
/// into libtorch_cuda.so without exporting it, so the library comes from NVIDIA's libnccl2 package.
/// Signatures and enum values follow NVIDIA/nccl src/nccl.h.in; C enums and int are 32-bit,
/// ncclComm_t and cudaStream_t are pointers, size_t is nuint. Unverified on a GPU (see NcclCollectives).
/// </summary>
internal sealed unsafe class NcclLibrary
{
    public const string OverrideVariable = "PRETRAIN_NCCL_LIBRARY";
    public const string Soname = "libnccl.so.2";

    // ncclResult_t
    public const int Success = 0;
    // ncclDataType_t
    public const int Uint8 = 1, Float32 = 7;
    // ncclRedOp_t (ncclAvg exists from NCCL 2.10)
    public const int Sum = 0, Avg = 4;

    public readonly delegate* unmanaged<int*, int> GetVersion;
    public readonly delegate* unmanaged<NcclUniqueId*, int> GetUniqueId;
    public readonly delegate* unmanaged<nint*, int, NcclUniqueId, int, int> CommInitRank;
    public readonly delegate* unmanaged<nint, int*, int> CommCuDevice;
    public readonly delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int> AllReduce;
    public readonly delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int> Broadcast;
    public readonly delegate* unmanaged<void*, void*, nuint, int, nint, nint, int> AllGather;
    public readonly delegate* unmanaged<nint, int> CommDestroy;
    readonly delegate* unmanaged<int, nint> getErrorString;
    readonly delegate* unmanaged<nint, nint> getLastError; // NCCL ≥ 2.13; null before

    NcclLibrary(nint handle, string path)
    {
        Path = path;
        nint Export(string name) => NativeLibrary.TryGetExport(handle, name, out var f) ? f
            : throw new UserInputException($"{path} has no export {name}; it is not a usable NCCL 2 library");
        GetVersion = (delegate* unmanaged<int*, int>)Export("ncclGetVersion");
        GetUniqueId = (delegate* unmanaged<NcclUniqueId*, int>)Export("ncclGetUniqueId");
        CommInitRank = (delegate* unmanaged<nint*, int, NcclUniqueId, int, int>)Export("ncclCommInitRank");
        CommCuDevice = (delegate* unmanaged<nint, int*, int>)Export("ncclCommCuDevice");
        AllReduce = (delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int>)Export("ncclAllReduce");
        Broadcast = (delegate* unmanaged<void*, void*, nuint, int, int, nint, nint, int>)Export("ncclBroadcast");
        AllGather = (delegate* unmanaged<void*, void*, nuint, int, nint, nint, int>)Export("ncclAllGather");
        CommDestroy = (delegate* unmanaged<nint, int>)Export("ncclCommDestroy");
        getErrorString = (delegate* unmanaged<int, nint>)Export("ncclGetErrorString");
        getLastError = NativeLibrary.TryGetExport(handle, "ncclGetLastError", out var last) ? (delegate* unmanaged<nint, nint>)last : null;
    }

    public string Path { get; }

    /// <summary>Loads the override when given, else libnccl.so.2; a one-line <see cref="UserInputException"/> when absent.</summary>
    public static NcclLibrary Load(string? overridePath)
    {
        var path = string.IsNullOrWhiteSpace(overridePath) ? Soname : overridePath.Trim();
        if (!NativeLibrary.TryLoad(path, out var handle))
            throw new UserInputException(
                $"NCCL was asked for but {path} could not be loaded: install NVIDIA's libnccl2 (CUDA apt repository), " +
                $"name the library in {OverrideVariable}, or train the CPU path over MPI");
        return new NcclLibrary(handle, path);
    }

    /// <summary>"2.21.5" from ncclGetVersion's code (X*1000+Y*100+Z up to 2.8, X*10000+Y*100+Z after).</summary>
    public static string VersionText(int code)
        => code < 10000 ? $"{code / 1000}.{code % 1000 / 100}.{code % 100}" : $"{code / 10000}.{code % 10000 / 100}.{code % 100}";

    public void Check(int result, string function, nint comm = 0)
    {
        if (result == Success) return;
        var text = Marshal.PtrToStringUTF8(getErrorString(result)) ?? "unknown error";
        var last = comm != 0 && getLastError != null ? Marshal.PtrToStringUTF8(getLastError(comm)) : null;
        throw new InvalidOperationException($"{function} failed: {text} (ncclResult {result}){(string.IsNullOrEmpty(last) ? "" : ": " + last)}");
    }
}
