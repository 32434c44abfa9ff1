namespace Pretrain.Schedules;

/// <summary>
/// DINO's teacher temperature (DINOLoss.__init__): linspace(start, value, warmupEpochs) over the first
/// warmupEpochs epochs, then constant; one entry per epoch, computed up front.
/// </summary>
public static class WarmupThenConstant
{
    /// <summary>The per-epoch array. A warmup longer than training is cut at the last epoch (DINO
    /// itself refuses it; we keep training on the part of the ramp the run reaches).</summary>
    public static double[] PerEpoch(double start, double value, int warmupEpochs, int epochs)
    {
        if (epochs < 1 || warmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), $"epochs {epochs}, warmup {warmupEpochs}");
        var schedule = new double[epochs];
        for (int e = 0; e < epochs; e++) schedule[e] = e < warmupEpochs ? Linspace.At(start, value, warmupEpochs, e) : value;
        return schedule;
    }
}
