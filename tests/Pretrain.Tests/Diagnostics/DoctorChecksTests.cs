using System.Text.Json.Nodes;
using Pretrain.Diagnostics;
using Pretrain.Distributed;
using Xunit;

namespace Pretrain.Tests.Diagnostics;

/// <summary>Each doctor check on simulated inputs: the mismatches it must catch, by value.</summary>
public class DoctorChecksTests
{
    static LaunchEnvironment Env(params (string Key, string Value)[] vars)
        => LaunchEnvironment.From(vars.ToDictionary(v => v.Key, v => (string?)v.Value));

    static readonly LaunchEnvironment OpenMpiLaunch = Env(("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_RANK", "0"));

    /// <summary>A loader that knows only the given libraries and their exports.</summary>
    static LibraryLoader Loader(params (string Name, string[] Exports)[] libs) => name =>
        libs.Where(l => l.Name == name).Select(l => new LoadedLibrary(name, e => l.Exports.Contains(e))).FirstOrDefault();

    const string XeonCpuinfo = """
        processor	: 0
        model name	: Intel(R) Xeon(R) Platinum 8480+
        flags		: fpu sse2 avx2 avx512f avx512bw avx512vl avx512_bf16 amx_bf16 amx_tile
        processor	: 1
        model name	: Intel(R) Xeon(R) Platinum 8480+
        flags		: fpu sse2 avx2 avx512f avx512bw avx512vl avx512_bf16 amx_bf16 amx_tile
        """;

    const string Zen3Cpuinfo = """
        processor	: 0
        model name	: AMD EPYC 7B13
        flags		: fpu sse2 avx avx2 fma
        """;

    [Fact]
    public void TheScalarGuardLineIsOkWhenActiveAndAWarningWithAFixOtherwise()
    {
        var ok = DoctorChecks.ScalarGuard(null);
        Assert.Equal(CheckStatus.Ok, ok.Status);
        Assert.StartsWith("active", ok.Value);
        var off = DoctorChecks.ScalarGuard("PRETRAIN_SCALAR_GUARD=0");
        Assert.Equal(CheckStatus.Warn, off.Status);
        Assert.Equal("inactive: PRETRAIN_SCALAR_GUARD=0", off.Value);
        Assert.Contains("unset PRETRAIN_SCALAR_GUARD", off.Fix);
        // in this process (the tests install it as the CLI does) it is active once torch has loaded
        using var loaded = TorchSharp.torch.ones(1);
        Assert.Null(Pretrain.Common.ScalarGuard.Problem);
    }

    [Fact]
    public void MissingMpiWarnsForOneProcessAndFailsUnderALauncher()
    {
        var none = Loader();
        var single = DoctorChecks.Mpi(LaunchEnvironment.NotLaunched, null, none);
        Assert.Equal(CheckStatus.Warn, single.Status);
        Assert.Equal("no MPI library loads (libmpi.so.40 not found, libmpi.so.12 not found, libmpich.so.12 not found): only single-process runs", single.Value);
        Assert.Contains("openmpi-bin", single.Fix);

        var launched = DoctorChecks.Mpi(OpenMpiLaunch, null, none);
        Assert.Equal(CheckStatus.Fail, launched.Status);
        Assert.StartsWith("started by mpirun (Open MPI), but no MPI library loads", launched.Value);
        Assert.Contains(MpiLibrary.OverrideVariable, launched.Fix);
    }

    [Fact]
    public void MpiAbiIsTakenFromTheExportsAndAMismatchedLauncherWarns()
    {
        var both = Loader(("libmpi.so.40", [OpenMpiAbi.MarkerExport]), ("libmpich.so.12", [MpichAbi.MarkerExport]));
        var ok = DoctorChecks.Mpi(OpenMpiLaunch, null, both);
        Assert.Equal(CheckStatus.Ok, ok.Status);
        Assert.Equal("libmpi.so.40 (Open MPI), libmpi.so.12 not found, libmpich.so.12 (MPICH); a run would use libmpi.so.40", ok.Value);

        // MPICH installs libmpi.so.12: the name says nothing, the exports do.
        var onlyMpich = Loader(("libmpi.so.12", [MpichAbi.MarkerExport]));
        var mismatch = DoctorChecks.Mpi(OpenMpiLaunch, null, onlyMpich);
        Assert.Equal(CheckStatus.Warn, mismatch.Status);
        Assert.Contains("a run would use libmpi.so.12 (MPICH), but mpirun (Open MPI) is an Open MPI launcher", mismatch.Value);

        var hydra = DoctorChecks.Mpi(Env(("PMI_RANK", "0"), ("PMI_SIZE", "2")), null, onlyMpich);
        Assert.Equal(CheckStatus.Ok, hydra.Status);

        var unknown = DoctorChecks.Mpi(LaunchEnvironment.NotLaunched, "/opt/x/libmpi.so", Loader(("/opt/x/libmpi.so", [])));
        Assert.Equal(CheckStatus.Warn, unknown.Status);
        Assert.Contains("/opt/x/libmpi.so (unknown ABI)", unknown.Value);
    }

    [Fact]
    public void SrunWithoutMpiWarns()
    {
        var c = DoctorChecks.Launch(Env(("SLURM_NTASKS", "4"), ("SLURM_PROCID", "1")));
        Assert.Equal(CheckStatus.Warn, c.Status);
        Assert.StartsWith("srun without --mpi: world 4 (SLURM_NTASKS=4), rank 1", c.Value);
        Assert.Contains("srun --mpi=pmix", c.Fix);
        Assert.Equal(DoctorCheck.Ok("launcher", "no launcher (mpirun/srun): one process"), DoctorChecks.Launch(LaunchEnvironment.NotLaunched));
    }

    [Fact]
    public void TooManyThreadsAndABusyWaitPolicyWarn()
    {
        Assert.Equal(DoctorCheck.Ok("threads", "torch 2 threads, 2 cores, OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=200000"), DoctorChecks.Threads(2, 2, "PASSIVE", "200000"));

        var many = DoctorChecks.Threads(8, 2, "passive", "200000");
        Assert.Equal(CheckStatus.Warn, many.Status);
        Assert.Equal("torch 8 threads, 2 cores, OMP_WAIT_POLICY=passive, GOMP_SPINCOUNT=200000", many.Value);
        Assert.Contains("OMP_NUM_THREADS=2", many.Fix);
        Assert.DoesNotContain("OMP_WAIT_POLICY", many.Fix);
        Assert.DoesNotContain("GOMP_SPINCOUNT", many.Fix);

        var active = DoctorChecks.Threads(2, 2, null, "200000");
        Assert.Equal(CheckStatus.Warn, active.Status);
        Assert.Equal("torch 2 threads, 2 cores, OMP_WAIT_POLICY=unset, GOMP_SPINCOUNT=200000", active.Value);
        Assert.Contains("export OMP_WAIT_POLICY=PASSIVE", active.Fix);

        // An unbounded spin keeps idle threads busy (they starve the loader), unset sleeps after every region.
        var spinning = DoctorChecks.Threads(2, 2, "PASSIVE", "INFINITE");
        Assert.Equal(CheckStatus.Warn, spinning.Status);
        Assert.Contains("export GOMP_SPINCOUNT=200000", spinning.Fix);
        Assert.Equal(CheckStatus.Warn, DoctorChecks.Threads(2, 2, "PASSIVE", null).Status);
        Assert.Equal(CheckStatus.Ok, DoctorChecks.Threads(2, 2, "PASSIVE", "30000").Status);
    }

    [Fact]
    public void CudaAskedWithoutCudaFails()
    {
        var cpuBuild = DoctorChecks.Cuda("cuda", cudaBuild: false, cudaAvailable: false, 0, []);
        Assert.Equal(CheckStatus.Fail, cpuBuild.Status);
        Assert.Equal("--device cuda asked, but this is the CPU libtorch (no libtorch_cuda.so next to the app)", cpuBuild.Value);
        Assert.Contains("-p:TorchBackend=cuda", cpuBuild.Fix);

        var noGpu = DoctorChecks.Cuda("cuda:0", cudaBuild: true, cudaAvailable: false, 0, []);
        Assert.Equal(CheckStatus.Fail, noGpu.Status);
        Assert.Contains("CUDA is not available; no GPU or driver visible", noGpu.Value);

        var outOfRange = DoctorChecks.Cuda("cuda:2", cudaBuild: true, cudaAvailable: true, 2, ["NVIDIA H200", "NVIDIA H200"]);
        Assert.Equal(CheckStatus.Fail, outOfRange.Status);
        Assert.Equal("--device cuda:2 asked, but there are 2 CUDA devices (NVIDIA H200, NVIDIA H200)", outOfRange.Value);

        Assert.Equal(CheckStatus.Ok, DoctorChecks.Cuda("cuda:1", true, true, 2, ["NVIDIA H200", "NVIDIA H200"]).Status);
        Assert.Equal(CheckStatus.Ok, DoctorChecks.Cuda("cpu", false, false, 0, []).Status);
        Assert.Equal(CheckStatus.Ok, DoctorChecks.Cuda("auto", false, false, 0, []).Status);
        // A GPU the CPU build cannot use is worth a warning, not a failure, when the CPU was not ruled out.
        Assert.Equal(CheckStatus.Warn, DoctorChecks.Cuda("auto", false, false, 0, ["NVIDIA H200"]).Status);
    }

    [Fact]
    public void LibstdcxxWithoutTheShimsVersionFailsUnlessTheNeedIsWeak()
    {
        IReadOnlyList<string> debian12 = ["GLIBCXX_3.4", "GLIBCXX_3.4.29", "GLIBCXX_3.4.30"];
        const string lib = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

        var notWeak = DoctorChecks.Libstdcxx(lib, debian12, new ShimGlibcxx("/app/libLibTorchSharp.so", Needs: true, Weak: false));
        Assert.Equal(CheckStatus.Fail, notWeak.Status);
        Assert.Equal($"{lib}: up to GLIBCXX_3.4.30, GLIBCXX_3.4.32 absent; libLibTorchSharp.so needs GLIBCXX_3.4.32 (not weak)", notWeak.Value);
        Assert.Contains("dotnet build", notWeak.Fix);

        var weak = DoctorChecks.Libstdcxx(lib, debian12, new ShimGlibcxx("/app/libLibTorchSharp.so", Needs: true, Weak: true));
        Assert.Equal(CheckStatus.Ok, weak.Status);
        Assert.EndsWith("libLibTorchSharp.so marks GLIBCXX_3.4.32 weak (Directory.Build.targets)", weak.Value);

        var gcc13 = DoctorChecks.Libstdcxx(lib, [.. debian12, "GLIBCXX_3.4.31", "GLIBCXX_3.4.32"], new ShimGlibcxx("/app/x", true, false));
        Assert.Equal(CheckStatus.Ok, gcc13.Status);
        Assert.Contains("up to GLIBCXX_3.4.32, GLIBCXX_3.4.32 present", gcc13.Value);

        Assert.Equal(CheckStatus.Warn, DoctorChecks.Libstdcxx(lib, debian12, null).Status);
        Assert.Equal(CheckStatus.Fail, DoctorChecks.Libstdcxx(null, [], null).Status);
    }

    [Fact]
    public void GlibcxxVersionsAreReadFromTheLibraryStringsInVersionOrder()
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes("\0GLIBCXX_3.4.30\0GLIBCXX_3.4\0GLIBCXX_3.4.9\0GLIBCXX_TUNABLES\0GLIBCXX_3.4.30\0");
        Assert.Equal(["GLIBCXX_3.4", "GLIBCXX_3.4.9", "GLIBCXX_3.4.30"], NativeFiles.GlibcxxVersions(bytes));
    }

    [Fact]
    public void TheBuiltShimMarksGlibcxx3432WeakAndAClearedFlagIsSeen()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(path), path);
        var bytes = File.ReadAllBytes(path);
        var need = Assert.Single(NativeFiles.VersionNeeds(bytes), n => n.Version == NativeFiles.RequiredGlibcxx);
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.True(need.Weak); // Directory.Build.targets patched the test output too

        // Clear VER_FLG_WEAK on that entry, as in an unpatched copy: the reader must notice.
        int at = IndexOfVernaux(bytes, NativeFiles.RequiredGlibcxx);
        bytes[at + 4] &= unchecked((byte)~0x2);
        Assert.False(Assert.Single(NativeFiles.VersionNeeds(bytes), n => n.Version == NativeFiles.RequiredGlibcxx).Weak);
        Assert.Empty(NativeFiles.VersionNeeds([1, 2, 3]));
    }

    /// <summary>The offset of the Vernaux entry naming <paramref name="version"/>, found by its ELF hash.</summary>
    static int IndexOfVernaux(byte[] d, string version)
    {
        uint h = 0;
        foreach (var c in version) { h = (h << 4) + c; uint g = h & 0xf0000000; if (g != 0) h ^= g >> 24; h &= ~g; }
        for (int i = 0; i + 16 <= d.Length; i += 4)
            if (BitConverter.ToUInt32(d, i) == h) return i;
        throw new InvalidOperationException("hash not found");
    }

    [Fact]
    public void CpuinfoFlagsAffinityAndQuotaAreParsed()
    {
        var xeon = CpuFacts.Parse(XeonCpuinfo, "Name:\tx\nCpus_allowed_list:\t0-3,8,10-11\n", "150000 100000", 6);
        Assert.Equal("Intel(R) Xeon(R) Platinum 8480+", xeon.Model);
        Assert.Equal(7, xeon.AffinityCpus);
        Assert.Equal(1.5, xeon.CgroupQuotaCores);
        Assert.Equal(DoctorCheck.Ok("cpu", "Intel(R) Xeon(R) Platinum 8480+, 6 cores (affinity 0-3,8,10-11 = 7, cgroup quota 1.5)"), DoctorChecks.Cpu(xeon));
        Assert.Equal("avx2 yes, avx512f yes, avx512bw yes, avx512vl yes, avx512_bf16 yes, amx_tile yes, amx_bf16 yes", DoctorChecks.CpuFeatures(xeon).Value);
        Assert.Equal(DoctorCheck.Ok("bf16", "native bf16 (avx512_bf16, amx_bf16)"), DoctorChecks.Bf16(xeon));
        Assert.Null(CpuFacts.QuotaCores("max 100000"));
    }

    [Fact]
    public void NoNativeBf16WarnsThatBf16WillBeSlow()
    {
        var zen3 = CpuFacts.Parse(Zen3Cpuinfo, null, null, 2, runtimeFlags: ["avx2"]);
        Assert.Equal("avx2 yes, avx512f no, avx512bw no, avx512vl no, avx512_bf16 no, amx_tile no, amx_bf16 no", DoctorChecks.CpuFeatures(zen3).Value);
        var bf16 = DoctorChecks.Bf16(zen3);
        Assert.Equal(CheckStatus.Warn, bf16.Status);
        Assert.Equal("no native bf16 (no avx512_bf16 or amx_bf16): bf16 on this CPU will be slow", bf16.Value);
        Assert.Equal(CheckStatus.Warn, DoctorChecks.CpuFeatures(CpuFacts.Parse("flags : fpu sse2 avx", null, null, 1)).Status);
    }

    [Fact]
    public void NcclMissingFailsOnlyForALaunchedGpuRun()
    {
        var none = Loader();
        Assert.Equal(CheckStatus.Ok, DoctorChecks.Nccl(LaunchEnvironment.NotLaunched, "auto", cudaBuild: false, null, none).Status);
        Assert.Equal(CheckStatus.Warn, DoctorChecks.Nccl(LaunchEnvironment.NotLaunched, "cuda", cudaBuild: true, null, none).Status);
        var fail = DoctorChecks.Nccl(OpenMpiLaunch, "cuda", cudaBuild: true, null, none);
        Assert.Equal(CheckStatus.Fail, fail.Status);
        Assert.Equal("libnccl.so.2 not found: a multi-GPU run carries gradients over NCCL", fail.Value);
        Assert.Equal(CheckStatus.Ok, DoctorChecks.Nccl(OpenMpiLaunch, "cpu", cudaBuild: true, null, none).Status);
        var found = DoctorChecks.Nccl(OpenMpiLaunch, "cuda", true, null,
            name => name == "libnccl.so.2" ? new LoadedLibrary(name, e => e == "ncclCommInitRank", "2.21.5") : null);
        Assert.Equal(DoctorCheck.Ok("nccl", "libnccl.so.2 loads (NCCL 2.21.5)"), found);
    }

    [Fact]
    public void LowDiskWarnsAndAMissingFolderIsMeasuredOnItsParent()
    {
        var root = Path.GetFullPath("/data");
        var low = DoctorChecks.Disk("/data/runs/new", d => d == root, _ => 5L << 30);
        Assert.Equal(CheckStatus.Warn, low.Status);
        Assert.Equal($"5.0 GiB free in {Path.GetFullPath("/data/runs/new")} (not there yet; measured on {root})", low.Value);
        Assert.Equal(CheckStatus.Ok, DoctorChecks.Disk("/data", d => d == root, _ => 200L << 30).Status);
        Assert.Equal(CheckStatus.Warn, DoctorChecks.Disk("/data", _ => true, _ => null).Status);
    }

    [Fact]
    public void ReportJsonHasEveryCheckAndTheExitDecision()
    {
        var report = new DoctorReport(
        [
            DoctorCheck.Ok("dotnet", ".NET 10"),
            DoctorCheck.Warn("threads", "torch 8 threads, 2 cores", "set OMP_NUM_THREADS=2"),
            DoctorCheck.Fail("cuda", "--device cuda asked", "use --device cpu"),
        ]);
        Assert.False(report.CanRun);
        var json = JsonNode.Parse(report.ToJsonText())!.AsObject();
        Assert.Equal(["can_run", "ok", "warn", "fail", "checks"], json.Select(p => p.Key));
        Assert.False((bool)json["can_run"]!);
        Assert.Equal(1, (int)json["fail"]!);
        var checks = json["checks"]!.AsArray();
        Assert.Equal(3, checks.Count);
        foreach (var c in checks) Assert.Equal(["name", "status", "value", "fix"], c!.AsObject().Select(p => p.Key));
        Assert.Equal("ok", (string)checks[0]!["status"]!);
        Assert.Null(checks[0]!["fix"]);
        Assert.Equal("warn", (string)checks[1]!["status"]!);
        Assert.Equal("fail", (string)checks[2]!["status"]!);
        Assert.Equal("use --device cpu", (string)checks[2]!["fix"]!);

        var text = report.ToText().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("ok    dotnet   .NET 10", text[0]);
        Assert.Equal("fail  cuda     --device cuda asked  (fix: use --device cpu)", text[2]);
        Assert.Equal("doctor: 1 ok, 1 warn, 1 fail: a run cannot start as asked", text[3]);
        Assert.True(new DoctorReport([DoctorCheck.Warn("x", "y", "z")]).CanRun);
    }
}
