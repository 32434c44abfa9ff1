using System.Globalization;
using System.Text.RegularExpressions;

namespace Pretrain.Diagnostics;

/// <summary>What the CPU and the process's CPU limits are, parsed from text the kernel gives
/// (/proc/cpuinfo, /proc/self/status, cgroup v2 cpu.max), so every case is testable on one machine.</summary>
public sealed record CpuFacts
{
    /// <summary>The instruction-set flags the checks look at, in report order.</summary>
    public static readonly string[] ReportedFeatures = ["avx2", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "amx_tile", "amx_bf16"];

    /// <summary>Flags that mean the CPU computes bf16 matmuls natively (x86: AVX-512 BF16, AMX; Arm: BF16).</summary>
    public static readonly string[] NativeBf16Flags = ["avx512_bf16", "amx_bf16", "bf16"];

    public string Model { get; init; } = "unknown";
    /// <summary>Environment.ProcessorCount: .NET already counts the affinity mask and the cgroup quota.</summary>
    public int ProcessorCount { get; init; } = 1;
    /// <summary>CPUs in the affinity mask (Cpus_allowed_list), when readable.</summary>
    public int? AffinityCpus { get; init; }
    public string? AffinityList { get; init; }
    /// <summary>The cgroup quota in cores (cpu.max "quota period"), null when unlimited or unreadable.</summary>
    public double? CgroupQuotaCores { get; init; }
    public IReadOnlySet<string> Flags { get; init; } = new HashSet<string>();

    public bool Has(string flag) => Flags.Contains(flag);

    /// <param name="cpuinfo">/proc/cpuinfo text (null when unreadable).</param>
    /// <param name="procStatus">/proc/self/status text, for Cpus_allowed_list.</param>
    /// <param name="cgroupCpuMax">cgroup v2 cpu.max text, e.g. "max 100000" or "150000 100000".</param>
    /// <param name="processorCount">Environment.ProcessorCount.</param>
    /// <param name="runtimeFlags">Flags the runtime reports (System.Runtime.Intrinsics.X86 IsSupported), merged in.</param>
    public static CpuFacts Parse(string? cpuinfo, string? procStatus, string? cgroupCpuMax, int processorCount,
        IEnumerable<string>? runtimeFlags = null)
    {
        string? model = null;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in (cpuinfo ?? "").Split('\n'))
        {
            int colon = raw.IndexOf(':');
            if (colon < 0) continue;
            var key = raw[..colon].Trim();
            var value = raw[(colon + 1)..].Trim();
            if (model is null && (key == "model name" || key == "Model" || key == "cpu model") && value.Length > 0) model = value;
            // x86 lists "flags", Arm "Features"; the first processor's line is representative.
            if ((key == "flags" || key == "Features") && flags.Count == 0)
                foreach (var f in value.Split(' ', StringSplitOptions.RemoveEmptyEntries)) flags.Add(f);
        }
        foreach (var f in runtimeFlags ?? []) flags.Add(f);

        string? affinity = null;
        foreach (var line in (procStatus ?? "").Split('\n'))
            if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) affinity = line["Cpus_allowed_list:".Length..].Trim();

        return new CpuFacts
        {
            Model = model ?? "unknown",
            ProcessorCount = processorCount,
            AffinityList = affinity,
            AffinityCpus = CountCpuList(affinity),
            CgroupQuotaCores = QuotaCores(cgroupCpuMax),
            Flags = flags,
        };
    }

    /// <summary>CPUs in a kernel CPU list such as "0-3,8,10-11"; null when absent or malformed.</summary>
    public static int? CountCpuList(string? list)
    {
        if (string.IsNullOrWhiteSpace(list)) return null;
        int n = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var m = Regex.Match(part.Trim(), @"^(\d+)(?:-(\d+))?$");
            if (!m.Success) return null;
            int lo = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            int hi = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : lo;
            if (hi < lo) return null;
            n += hi - lo + 1;
        }
        return n;
    }

    /// <summary>Cores allowed by cgroup v2 cpu.max ("quota period"); null for "max" or unreadable text.</summary>
    public static double? QuotaCores(string? cpuMax)
    {
        var parts = (cpuMax ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || parts[0] == "max") return null;
        if (!double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var quota)
            || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var period) || period <= 0) return null;
        return quota / period;
    }
}
