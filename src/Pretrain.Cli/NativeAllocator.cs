using System.Runtime.InteropServices;

namespace Pretrain.Cli;

/// <summary>
/// glibc hands every allocation above M_MMAP_THRESHOLD (128 KiB, adapting up to 32 MiB) its own mmap,
/// and libtorch's CPU allocator frees activations each step, so every step re-faults its pages in.
/// Fixing the mmap threshold at 32 MiB (where glibc's adaptation ends) from the start and raising the
/// trim threshold keeps the activation buffers in the heap for reuse; the process keeps its peak memory
/// instead of returning it. Buffers above 32 MiB (a batch-wide MLP activation of a large model) still get
/// their own mapping: in the heap they fragment it (measured on the MoCo v3 + SDMP bench: peak RSS
/// 1505–1513 MiB at 32 MiB against 1550–1572 MiB with a 1 GiB threshold, same step time).
/// PRETRAIN_MALLOC_TUNING=0 turns this off.
/// </summary>
internal static class NativeAllocator
{
    private const int MmapThreshold = 32 << 20;
    private const int M_TRIM_THRESHOLD = -1;
    private const int M_MMAP_THRESHOLD = -3;

    public static void KeepLargeBuffers()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("PRETRAIN_MALLOC_TUNING") == "0") return;
        try
        {
            mallopt(M_MMAP_THRESHOLD, MmapThreshold);
            mallopt(M_TRIM_THRESHOLD, 1 << 30);
        }
        catch (EntryPointNotFoundException) { }   // not glibc (e.g. musl): nothing to tune
        catch (DllNotFoundException) { }
    }

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);
}
