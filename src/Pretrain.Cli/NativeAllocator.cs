using System.Runtime.InteropServices;

namespace Pretrain.Cli;

/// <summary>
/// glibc hands every allocation above M_MMAP_THRESHOLD (128 KiB, adapting up to 32 MiB) its own mmap,
/// and libtorch's CPU allocator frees activations each step, so every step re-faults its pages in.
/// Raising the mmap and trim thresholds keeps those buffers in the heap for reuse; the process keeps
/// its peak memory instead of returning it. (A 32 MiB mmap threshold, where glibc's own adaptation
/// stops, lowered the MoCo v3 + SDMP bench's peak RSS by ~50 MiB but gave every larger activation its
/// own mapping, faulted in again each step (the quickstart at batch 256: 1 min 3 s of system time in
/// 5 min 37 s). What fragmented the heap was TorchSharp's finalizer-only Scalars; see NativeGarbage.)
/// PRETRAIN_MALLOC_TUNING=0 turns this off.
/// </summary>
internal static class NativeAllocator
{
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;

    public static void KeepLargeBuffers()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("PRETRAIN_MALLOC_TUNING") == "0") return;
        try
        {
            mallopt(M_MMAP_THRESHOLD, 1 << 30);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
        }
        catch (EntryPointNotFoundException) { }   // not glibc (e.g. musl): nothing to tune
        catch (DllNotFoundException) { }
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);
}
