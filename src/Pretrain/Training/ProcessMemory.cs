namespace Pretrain.Training;

/// <summary>Peak resident set size of this process (VmHWM), for benchmark reports.</summary>
public static class ProcessMemory
{
    public static double PeakRssMib()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:"))
                    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (IOException) { }
        return Environment.WorkingSet / (1024.0 * 1024.0);
    }
}
