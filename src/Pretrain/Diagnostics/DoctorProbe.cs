using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Pretrain.Distributed;
using TorchSharp;

namespace Pretrain.Diagnostics;

/// <summary>What `pretrain doctor` checks against: the device asked for and the folder runs will write to.</summary>
public sealed record DoctorOptions(string Device = "auto", string? Output = null);

/// <summary>
/// Gathers this machine's facts (files under /proc and /sys, the native files next to the app, the MPI
/// and NCCL libraries that load, torch's answers) and runs <see cref="DoctorChecks"/> on them. MPI is
/// loaded, never initialised; torch is loaded (that is one of the checks) but computes nothing.
/// </summary>
public static class DoctorProbe
{
    static readonly string[] LibstdcxxPaths =
    [
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
    ];

    public static DoctorReport Run(DoctorOptions options)
    {
        var appDir = AppContext.BaseDirectory;
        var env = LaunchEnvironment.ProcessVariables();
        var launch = LaunchEnvironment.From(env);
        bool cudaBuild = File.Exists(Path.Combine(appDir, "libtorch_cuda.so"));

        // Torch first: loading it maps the libstdc++ the shim really uses.
        var torchSharp = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { } iv
            ? iv.Split('+')[0] : typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
        string? libtorch = null, loadError = null;
        int? threads = null;
        bool? cudaAvailable = null;
        int deviceCount = 0;
        try { libtorch = torch.__version__; } catch (Exception e) when (e is not OutOfMemoryException) { }
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            threads = torch.get_num_threads();
            cudaAvailable = torch.cuda.is_available();
            deviceCount = cudaAvailable == true ? torch.cuda.device_count() : 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException) { loadError = e.Message; }

        var cpu = CpuFacts.Parse(ReadText("/proc/cpuinfo"), ReadText("/proc/self/status"), ReadText("/sys/fs/cgroup/cpu.max"),
            Environment.ProcessorCount, RuntimeFlags());
        var depsJson = Directory.Exists(appDir) ? Directory.EnumerateFiles(appDir, "*.deps.json").Select(ReadText).FirstOrDefault(t => t?.Contains("libtorch-") == true) : null;

        MpiLibrary.DisableUcxSignalHandlers(); // before any libmpi loads: UCX's handlers would kill .NET exceptions
        return new DoctorReport(
        [
            DoctorChecks.Runtime(RuntimeInformation.FrameworkDescription, Environment.Version, RuntimeInformation.RuntimeIdentifier),
            DoctorChecks.Torch(torchSharp, libtorch, NativeFiles.LibtorchPackage(depsJson), cudaBuild, loadError),
            LibstdcxxCheck(appDir),
            DoctorChecks.Cpu(cpu),
            DoctorChecks.CpuFeatures(cpu),
            DoctorChecks.Bf16(cpu),
            DoctorChecks.Threads(threads, cpu.ProcessorCount, LibcEnvironment.Get("OMP_WAIT_POLICY"), LibcEnvironment.Get("GOMP_SPINCOUNT")),
            DoctorChecks.ScalarGuard(Pretrain.Common.ScalarGuard.Problem),
            DoctorChecks.Cuda(options.Device, cudaBuild, cudaAvailable, deviceCount, GpuNames()),
            DoctorChecks.Launch(launch),
            DoctorChecks.Mpi(launch, env.GetValueOrDefault(MpiLibrary.OverrideVariable), Load),
            DoctorChecks.Nccl(launch, options.Device, cudaBuild, env.GetValueOrDefault(NcclLibrary.OverrideVariable), Load),
            DoctorChecks.Disk(options.Output ?? Directory.GetCurrentDirectory(), Directory.Exists, FreeBytes),
        ]);
    }

    static DoctorCheck LibstdcxxCheck(string appDir)
    {
        var path = NativeFiles.MappedLibstdcxx(ReadText("/proc/self/maps")) ?? LibstdcxxPaths.FirstOrDefault(File.Exists);
        var versions = path is not null && ReadBytes(path) is { } lib ? NativeFiles.GlibcxxVersions(lib) : [];
        ShimGlibcxx? shim = null;
        var shimPath = new[] { Path.Combine(appDir, "libLibTorchSharp.so"), Path.Combine(appDir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so") }
            .FirstOrDefault(File.Exists);
        if (shimPath is not null && ReadBytes(shimPath) is { } bytes)
        {
            var needs = NativeFiles.VersionNeeds(bytes).Where(n => n.Version == NativeFiles.RequiredGlibcxx).ToList();
            shim = new ShimGlibcxx(shimPath, needs.Count > 0, needs.Count > 0 && needs.All(n => n.Weak));
        }
        return DoctorChecks.Libstdcxx(path, versions, shim);
    }

    static IEnumerable<string> RuntimeFlags()
    {
        if (Avx2.IsSupported) yield return "avx2";
        if (Avx512F.IsSupported) yield return "avx512f";
        if (Avx512BW.IsSupported) yield return "avx512bw";
        if (Avx512F.VL.IsSupported) yield return "avx512vl";
    }

    static IReadOnlyList<string> GpuNames()
    {
        const string dir = "/proc/driver/nvidia/gpus";
        if (!Directory.Exists(dir)) return [];
        return NativeFiles.NvidiaGpuNames(Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal)
            .Select(d => ReadText(Path.Combine(d, "information")) ?? ""));
    }

    /// <summary>NativeLibrary.TryLoad; a loaded library stays loaded (MPI cannot be unloaded safely).</summary>
    static LoadedLibrary? Load(string nameOrPath)
    {
        if (!NativeLibrary.TryLoad(nameOrPath, out var handle)) return null;
        bool HasExport(string export) => NativeLibrary.TryGetExport(handle, export, out _);
        return new LoadedLibrary(nameOrPath, HasExport, NcclVersion(handle));
    }

    /// <summary>ncclGetVersion (safe before any communicator exists) when the library exports it.</summary>
    static unsafe string? NcclVersion(nint handle)
    {
        if (!NativeLibrary.TryGetExport(handle, "ncclGetVersion", out var f)) return null;
        int code = 0;
        return ((delegate* unmanaged<int*, int>)f)(&code) == NcclLibrary.Success ? NcclLibrary.VersionText(code) : null;
    }

    static long? FreeBytes(string dir)
    {
        try { return new DriveInfo(dir).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return null; }
    }

    static string? ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    static byte[]? ReadBytes(string path)
    {
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
