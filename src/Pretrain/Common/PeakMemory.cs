namespace Pretrain.Common;

/// <summary>Peak resident set size of this process (VmHWM of /proc/self/status), for benchmarks.</summary>
public static class PeakMemory
{
    public static double PeakRssMib()
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return double.NaN;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb) / 1024.0;
            }
        return double.NaN;
    }
}
