namespace Pretrain.Schedules;

/// <summary>numpy.linspace(start, stop, num)[i]: start + i·step, with the last point exactly stop.</summary>
internal static class Linspace
{
    public static double At(double start, double stop, int num, int i)
    {
        if (num < 1 || i < 0 || i >= num) throw new ArgumentOutOfRangeException(nameof(i), $"index {i} of linspace with {num} points");
        if (num == 1) return start;
        if (i == num - 1) return stop;
        return start + i * ((stop - start) / (num - 1));
    }
}
