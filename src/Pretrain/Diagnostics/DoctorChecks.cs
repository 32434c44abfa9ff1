using System.Globalization;
using Pretrain.Distributed;

namespace Pretrain.Diagnostics;

/// <summary>A native library that loaded, and a way to ask for its exports (never calls MPI_Init or anything like it).</summary>
public sealed record LoadedLibrary(string Name, Func<string, bool> HasExport, string? Version = null);

/// <summary>Loads a native library by soname or path; null when it does not load.</summary>
public delegate LoadedLibrary? LibraryLoader(string nameOrPath);

/// <summary>How libLibTorchSharp.so stands against the system's libstdc++: whether it needs
/// <see cref="NativeFiles.RequiredGlibcxx"/> and whether that need is marked weak.</summary>
public sealed record ShimGlibcxx(string Path, bool Needs, bool Weak);

/// <summary>
/// The checks of `pretrain doctor`, each a pure function of what it is given (texts, flags, a file
/// test, a library loader), so every mismatch can be simulated. <see cref="DoctorProbe"/> gathers the
/// real inputs.
/// </summary>
public static class DoctorChecks
{
    public const long DiskWarnBytes = 10L << 30;

    public static DoctorCheck Runtime(string frameworkDescription, Version version, string rid) =>
        version.Major >= 10
            ? DoctorCheck.Ok("dotnet", $"{frameworkDescription} ({rid})")
            : DoctorCheck.Fail("dotnet", $"{frameworkDescription} ({rid})", "install the .NET 10 runtime (the tool targets net10.0)");

    /// <param name="torchSharp">TorchSharp's assembly version.</param>
    /// <param name="libtorch">torch.__version__ (the libtorch TorchSharp was built for).</param>
    /// <param name="package">The libtorch package next to the app (deps.json), when found.</param>
    /// <param name="cudaBuild">libtorch_cuda.so is next to the app.</param>
    /// <param name="loadError">The exception message when the native libraries did not load; null when they did.</param>
    public static DoctorCheck Torch(string torchSharp, string? libtorch, (string Package, string Version)? package, bool cudaBuild, string? loadError)
    {
        var pkg = package is { } p ? $", package {p.Package} {p.Version}" : "";
        var value = $"TorchSharp {torchSharp}, libtorch {libtorch ?? "unknown"} ({(cudaBuild ? "CUDA" : "CPU")} build{pkg})";
        if (loadError is null) return DoctorCheck.Ok("torch", value);
        return DoctorCheck.Fail("torch", $"{value}; the native libraries did not load: {FirstLine(loadError)}",
            "rebuild with `dotnet build` in this repository (it marks GLIBCXX_3.4.32 weak in the copied libLibTorchSharp.so); `ldd libLibTorchSharp.so` next to the app shows what is missing (README: Troubleshooting)");
    }

    /// <param name="libstdcxx">The libstdc++.so.6 found (mapped by the process or in the system folders), null when none.</param>
    /// <param name="versions">Its GLIBCXX version names.</param>
    /// <param name="shim">libLibTorchSharp.so's need for GLIBCXX_3.4.32, null when the file was not found.</param>
    public static DoctorCheck Libstdcxx(string? libstdcxx, IReadOnlyList<string> versions, ShimGlibcxx? shim)
    {
        const string name = "libstdc++";
        const string need = NativeFiles.RequiredGlibcxx;
        if (libstdcxx is null)
            return DoctorCheck.Fail(name, "no libstdc++.so.6 found (not mapped, not in /usr/lib)", "install libstdc++6 (GCC 13 or newer provides " + need + ")");
        bool has = versions.Contains(need);
        var newest = versions.Count > 0 ? versions[^1] : "no GLIBCXX versions";
        var found = $"{libstdcxx}: up to {newest}, {need} {(has ? "present" : "absent")}";
        if (shim is null)
            return has ? DoctorCheck.Ok(name, found + "; libLibTorchSharp.so not found next to the app")
                : DoctorCheck.Warn(name, found + "; libLibTorchSharp.so not found next to the app, so its need could not be checked",
                    "run the output of `dotnet build` of this repository, which holds the patched libLibTorchSharp.so");
        var shimText = !shim.Needs ? $"libLibTorchSharp.so does not need {need}"
            : shim.Weak ? $"libLibTorchSharp.so marks {need} weak (Directory.Build.targets)" : $"libLibTorchSharp.so needs {need} (not weak)";
        if (has || !shim.Needs || shim.Weak) return DoctorCheck.Ok(name, $"{found}; {shimText}");
        return DoctorCheck.Fail(name, $"{found}; {shimText}",
            $"rebuild with `dotnet build` in this repository (it marks {need} weak in the copied library), or install a libstdc++ from GCC 13 or newer");
    }

    public static DoctorCheck Cpu(CpuFacts cpu)
    {
        var limits = new List<string>();
        if (cpu.AffinityCpus is int a) limits.Add($"affinity {cpu.AffinityList} = {a}");
        limits.Add(cpu.CgroupQuotaCores is double q ? $"cgroup quota {q.ToString("0.##", CultureInfo.InvariantCulture)}" : "no cgroup quota");
        return DoctorCheck.Ok("cpu", $"{cpu.Model}, {cpu.ProcessorCount} cores ({string.Join(", ", limits)})");
    }

    public static DoctorCheck CpuFeatures(CpuFacts cpu)
    {
        var text = string.Join(", ", CpuFacts.ReportedFeatures.Select(f => $"{f} {(cpu.Has(f) ? "yes" : "no")}"));
        bool x86 = CpuFacts.ReportedFeatures.Any(cpu.Has) || cpu.Has("sse2");
        if (!x86 || cpu.Has("avx2")) return DoctorCheck.Ok("cpu features", text);
        return DoctorCheck.Warn("cpu features", text, "no AVX2: libtorch's CPU kernels take slower paths; expect slow steps on this machine");
    }

    public static DoctorCheck Bf16(CpuFacts cpu)
    {
        var native = CpuFacts.NativeBf16Flags.Where(cpu.Has).ToList();
        if (native.Count > 0) return DoctorCheck.Ok("bf16", $"native bf16 ({string.Join(", ", native)})");
        return DoctorCheck.Warn("bf16", "no native bf16 (no avx512_bf16 or amx_bf16): bf16 on this CPU will be slow",
            "train in float32 on this CPU; bf16 pays off on CPUs with AVX-512 BF16 or AMX, or on GPUs");
    }

    /// <param name="torchThreads">torch.get_num_threads(), null when torch did not load.</param>
    /// <param name="cores">The cores the process may use.</param>
    /// <param name="ompWaitPolicy">OMP_WAIT_POLICY as native code sees it.</param>
    /// <param name="gompSpinCount">GOMP_SPINCOUNT as native code sees it (pretrain sets 200000 unless it is set).</param>
    public static DoctorCheck Threads(int? torchThreads, int cores, string? ompWaitPolicy, string? gompSpinCount = null)
    {
        var policy = string.IsNullOrEmpty(ompWaitPolicy) ? "unset" : ompWaitPolicy;
        var spin = string.IsNullOrEmpty(gompSpinCount) ? "unset" : gompSpinCount;
        if (torchThreads is not int t)
            return DoctorCheck.Warn("threads", $"torch threads unknown (torch did not load), {cores} cores, OMP_WAIT_POLICY={policy}, GOMP_SPINCOUNT={spin}", "see the torch line");
        var value = $"torch {t} threads, {cores} cores, OMP_WAIT_POLICY={policy}, GOMP_SPINCOUNT={spin}";
        var fixes = new List<string>();
        if (t > cores)
            fixes.Add($"torch would run {t} threads on {cores} cores: set OMP_NUM_THREADS={cores} or keep experiment.threads at 0 (cores minus loader workers)");
        if (!string.Equals(ompWaitPolicy, "PASSIVE", StringComparison.OrdinalIgnoreCase))
            fixes.Add("export OMP_WAIT_POLICY=PASSIVE (busy-waiting OpenMP threads starve the loader; pretrain sets it at start unless it is set)");
        if (gompSpinCount?.Trim().ToUpperInvariant() is null or "" or "INFINITE" or "INFINITY")
            fixes.Add("export GOMP_SPINCOUNT=200000 (a ~0.1 ms spin between a step's small parallel regions, then sleep; pretrain sets it at start unless it is set)");
        return fixes.Count == 0 ? DoctorCheck.Ok("threads", value) : DoctorCheck.Warn("threads", value, string.Join("; ", fixes));
    }

    /// <param name="problem">ScalarGuard.Problem after torch loaded: null when the guard is active.</param>
    public static DoctorCheck ScalarGuard(string? problem) => problem is null
        ? DoctorCheck.Ok("scalar guard", "active (TorchSharp Scalars freed 200 ms late, so no op reads a finalized one)")
        : DoctorCheck.Warn("scalar guard", $"inactive: {problem}",
            $"a GC during an op can free the Scalar it reads (rare crash 'Expected false to be true ... toDouble'); unset PRETRAIN_SCALAR_GUARD or reinstall so native/{Common.ScalarGuard.LibraryName} is next to pretrain.dll");

    /// <param name="deviceSpec">--device: auto, cpu, cuda or cuda:N.</param>
    /// <param name="cudaBuild">libtorch_cuda.so is next to the app.</param>
    /// <param name="cudaAvailable">torch.cuda.is_available(), null when torch did not load.</param>
    /// <param name="deviceCount">torch.cuda.device_count().</param>
    /// <param name="gpuNames">GPU names the driver lists.</param>
    public static DoctorCheck Cuda(string deviceSpec, bool cudaBuild, bool? cudaAvailable, int deviceCount, IReadOnlyList<string> gpuNames)
    {
        const string name = "cuda";
        var spec = (deviceSpec ?? "auto").Trim().ToLowerInvariant();
        bool asked = spec.StartsWith("cuda", StringComparison.Ordinal);
        var gpus = gpuNames.Count > 0 ? $" ({string.Join(", ", gpuNames)})" : "";
        var build = cudaBuild ? "CUDA libtorch (libtorch_cuda.so next to the app)" : "CPU libtorch (no libtorch_cuda.so next to the app)";
        var devices = $"{deviceCount} CUDA device{(deviceCount == 1 ? "" : "s")}{gpus}";
        if (asked)
        {
            if (!cudaBuild)
                return DoctorCheck.Fail(name, $"--device {spec} asked, but this is the {build}{(gpuNames.Count > 0 ? "; driver lists" + gpus : "")}",
                    "build with `-p:TorchBackend=cuda` on a machine with an NVIDIA driver (README: Building for CUDA), or use --device cpu");
            if (cudaAvailable != true)
                return DoctorCheck.Fail(name, $"--device {spec} asked, {build}, but CUDA is not available{(gpuNames.Count > 0 ? "; driver lists" + gpus : "; no GPU or driver visible")}",
                    "check `nvidia-smi` and CUDA_VISIBLE_DEVICES, or use --device cpu");
            if (spec.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(spec[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= deviceCount)
                return DoctorCheck.Fail(name, $"--device {spec} asked, but there {(deviceCount == 1 ? "is" : "are")} {devices}",
                    $"use cuda:0 to cuda:{Math.Max(0, deviceCount - 1)}, or check CUDA_VISIBLE_DEVICES");
            return DoctorCheck.Ok(name, $"{devices}, {build}");
        }
        if (cudaAvailable == true) return DoctorCheck.Ok(name, $"{devices}, {build}");
        if (cudaBuild)
            return DoctorCheck.Warn(name, $"{build}, but CUDA is not available{(gpuNames.Count > 0 ? "; driver lists" + gpus : "")}: runs go to the CPU",
                "check `nvidia-smi` and CUDA_VISIBLE_DEVICES");
        if (gpuNames.Count > 0)
            return DoctorCheck.Warn(name, $"the driver lists{gpus}, but this is the {build}: runs go to the CPU",
                "build with `-p:TorchBackend=cuda` (README: Building for CUDA)");
        return DoctorCheck.Ok(name, $"none; {build}: runs go to the CPU");
    }

    public static DoctorCheck Launch(LaunchEnvironment launch)
    {
        if (!launch.IsLaunched) return DoctorCheck.Ok("launcher", "no launcher (mpirun/srun): one process");
        var world = launch.WorldSize is int n ? $"world {n} ({launch.WorldSizeSource})" : "world size not given";
        var value = $"{launch.Launcher}: {world}, rank {launch.Rank?.ToString(CultureInfo.InvariantCulture) ?? "?"}, local rank {launch.LocalRank}" +
                    (launch.LocalWorldSize is int l ? $" of {l}" : "");
        if (launch.IsSlurmWithoutPmi)
            return DoctorCheck.Warn("launcher", value + ": Slurm set no PMI variables, so MPI will most likely see a world of one and `pretrain run` will refuse to start",
                "launch with `srun --mpi=pmix` (Open MPI) or `srun --mpi=pmi2` (MPICH), or set MpiDefault in slurm.conf");
        return DoctorCheck.Ok("launcher", value);
    }

    /// <summary>Which MPI sonames load (the ones `pretrain run` would try, in its order) and their ABI by exports.</summary>
    /// <param name="overridePath">PRETRAIN_MPI_LIBRARY.</param>
    public static DoctorCheck Mpi(LaunchEnvironment launch, string? overridePath, LibraryLoader load)
    {
        const string name = "mpi";
        var candidates = MpiLibrary.Candidates(launch.PreferredMpi, overridePath);
        var seen = new List<string>();
        (string Path, MpiFlavor Flavor)? chosen = null;
        foreach (var candidate in candidates)
        {
            var lib = load(candidate);
            if (lib is null) { seen.Add($"{candidate} not found"); continue; }
            MpiFlavor? flavor = lib.HasExport(OpenMpiAbi.MarkerExport) ? MpiFlavor.OpenMpi
                : lib.HasExport(MpichAbi.MarkerExport) ? MpiFlavor.Mpich : null;
            seen.Add($"{candidate} ({(flavor is { } f ? FlavorName(f) : "unknown ABI")})");
            if (flavor is { } known && chosen is null) chosen = (candidate, known);
        }
        var found = string.Join(", ", seen);
        var install = string.IsNullOrWhiteSpace(overridePath)
            ? $"install Open MPI (apt-get install openmpi-bin libopenmpi-dev) or MPICH, or name the library in {MpiLibrary.OverrideVariable}"
            : $"{MpiLibrary.OverrideVariable}={overridePath.Trim()} is the only library tried: correct the path or unset it";
        if (chosen is not { } c)
            return launch.IsLaunched
                ? DoctorCheck.Fail(name, $"started by {launch.Launcher}, but no MPI library loads: {found}", install)
                : DoctorCheck.Warn(name, $"no MPI library loads ({found}): only single-process runs", install + " (needed for mpirun/srun runs)");
        var value = $"{found}; a run would use {c.Path}";
        if (launch.IsLaunched && c.Flavor != launch.PreferredMpi)
            return DoctorCheck.Warn(name, $"{value} ({FlavorName(c.Flavor)}), but {launch.Launcher} is an {FlavorName(launch.PreferredMpi)} launcher",
                $"install the launcher's MPI or name its library in {MpiLibrary.OverrideVariable}; mixed implementations give N worlds of one");
        return DoctorCheck.Ok(name, value);
    }

    /// <param name="overridePath">PRETRAIN_NCCL_LIBRARY.</param>
    public static DoctorCheck Nccl(LaunchEnvironment launch, string deviceSpec, bool cudaBuild, string? overridePath, LibraryLoader load)
    {
        const string name = "nccl";
        var path = string.IsNullOrWhiteSpace(overridePath) ? NcclLibrary.Soname : overridePath.Trim();
        var lib = load(path);
        bool onGpus = cudaBuild && !deviceSpec.Trim().Equals("cpu", StringComparison.OrdinalIgnoreCase);
        if (lib is not null && lib.HasExport("ncclCommInitRank"))
            return DoctorCheck.Ok(name, $"{path} loads{(lib.Version is { } v ? $" (NCCL {v})" : "")}");
        var what = lib is null ? $"{path} not found" : $"{path} loads but exports no ncclCommInitRank";
        var fix = $"install NVIDIA's libnccl2 (CUDA apt repository) or name the library in {NcclLibrary.OverrideVariable}";
        if (onGpus && launch.IsLaunched) return DoctorCheck.Fail(name, $"{what}: a multi-GPU run carries gradients over NCCL", fix);
        if (onGpus) return DoctorCheck.Warn(name, $"{what}: multi-GPU runs need it", fix);
        return DoctorCheck.Ok(name, $"{what} (needed only by multi-GPU runs of the CUDA build)");
    }

    /// <param name="outputDir">The folder runs will write to.</param>
    /// <param name="directoryExists">Directory.Exists.</param>
    /// <param name="freeBytes">Bytes free to this user on the file system holding a folder; null when unreadable.</param>
    public static DoctorCheck Disk(string outputDir, Func<string, bool> directoryExists, Func<string, long?> freeBytes)
    {
        const string name = "disk";
        var full = Path.GetFullPath(outputDir);
        var probe = full;
        while (!directoryExists(probe) && Path.GetDirectoryName(probe) is { } parent) probe = parent;
        var where = probe == full ? full : $"{full} (not there yet; measured on {probe})";
        if (freeBytes(probe) is not long free)
            return DoctorCheck.Warn(name, $"free space unknown in {where}", "check `df -h` on the output folder");
        var value = $"{(free / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture)} GiB free in {where}";
        return free < DiskWarnBytes
            ? DoctorCheck.Warn(name, value, "checkpoints and logs need room: free at least 10 GiB or choose another --output")
            : DoctorCheck.Ok(name, value);
    }

    static string FlavorName(MpiFlavor f) => f == MpiFlavor.OpenMpi ? "Open MPI" : "MPICH";

    static string FirstLine(string s)
    {
        var line = s.Split('\n')[0].Trim();
        return line.Length > 300 ? line[..300] + "..." : line;
    }
}
