using System.Runtime.InteropServices;

namespace Pretrain.Cli;

/// <summary>
/// libtorch's CPU build links Intel MKL, which picks its GEMM kernels by vendor: on an AMD CPU it runs
/// its AVX2 "zen" kernels even where the CPU has AVX-512 (Zen 4 and later). The fp32 Linear layers are
/// about three quarters of a ViT step there (perf: mkl_blas_def_sgemm_kernel_0_zen), so on such a CPU
/// this loads native/libpretrain_mklcpu.so with RTLD_GLOBAL before libtorch: it defines the one MKL
/// export MKL asks (mkl_serv_intel_cpu_true, called through libtorch_cpu.so's PLT), and MKL then takes
/// its AVX-512 kernels (mkl_blas_avx512_sgemm_*). AVX2-only or Intel CPUs are left as they are.
/// The results stay fp32 GEMMs; only MKL's blocking (so the last bits of a sum) differs.
/// PRETRAIN_MKL_AVX512=0 turns this off, =1 forces it on any x86-64 Linux CPU.
/// </summary>
internal static class MklCpuDispatch
{
    private const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
    public const string LibraryName = "libpretrain_mklcpu.so";

    /// <summary>Whether the override was loaded (for `doctor` and logs).</summary>
    public static bool Active { get; private set; }

    public static void UseAvx512KernelsOnAmd()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        var setting = Environment.GetEnvironmentVariable("PRETRAIN_MKL_AVX512");
        if (setting == "0") return;
        if (setting != "1" && !IsAmdWithAvx512()) return;
        var path = Path.Combine(AppContext.BaseDirectory, "native", LibraryName);
        if (!File.Exists(path)) return;
        try { Active = dlopen(path, RTLD_NOW | RTLD_GLOBAL) != IntPtr.Zero; }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
    }

    /// <summary>/proc/cpuinfo names AuthenticAMD and the avx512f flag.</summary>
    internal static bool IsAmdWithAvx512(string? cpuinfo = null)
    {
        try { cpuinfo ??= File.ReadAllText("/proc/cpuinfo"); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
        bool amd = false, avx512 = false;
        foreach (var line in cpuinfo.Split('\n'))
        {
            if (line.StartsWith("vendor_id", StringComparison.Ordinal) && line.Contains("AuthenticAMD")) amd = true;
            if (line.StartsWith("flags", StringComparison.Ordinal) && line.Split(' ', ':', '\t').Contains("avx512f")) avx512 = true;
            if (amd && avx512) return true;
        }
        return false;
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);
}
