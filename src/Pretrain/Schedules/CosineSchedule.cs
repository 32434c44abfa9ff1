namespace Pretrain.Schedules;

/// <summary>Half-cosine schedules in double, as DINO's utils.py and MoCo v3's main_moco.py compute them.</summary>
public static class CosineSchedule
{
    /// <summary>
    /// DINO utils.cosine_scheduler: a linear warmup linspace(startWarmupValue, baseValue,
    /// warmupEpochs·stepsPerEpoch), then final + ½(base - final)(1 + cos(π·i/len)) over the remaining
    /// iterations. Length epochs·stepsPerEpoch.
    /// </summary>
    public static double[] PerIteration(double baseValue, double finalValue, int epochs, int stepsPerEpoch,
        int warmupEpochs = 0, double startWarmupValue = 0)
    {
        if (epochs < 0 || stepsPerEpoch < 0 || warmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(epochs), "epochs, steps per epoch and warmup epochs must be >= 0");
        int total = epochs * stepsPerEpoch, warmup = warmupEpochs * stepsPerEpoch;
        if (warmup > total) throw new ArgumentException($"warmup ({warmupEpochs} epochs) is longer than training ({epochs} epochs)");
        var schedule = new double[total];
        for (int i = 0; i < warmup; i++) schedule[i] = Linspace.At(startWarmupValue, baseValue, warmup, i);
        int decay = total - warmup;
        for (int i = 0; i < decay; i++) schedule[warmup + i] = Cosine(i, decay, baseValue, finalValue);
        return schedule;
    }

    /// <summary>end + ½(start - end)(1 + cos(π·i/n)): start at i = 0, end at i = n.</summary>
    public static double Cosine(double i, double n, double start, double end) =>
        end + 0.5 * (start - end) * (1 + Math.Cos(Math.PI * i / n));

    /// <summary>
    /// MoCo v3 adjust_moco_momentum at a fractional epoch: m(e) = 1 - ½(1 + cos(π·e/E))·(1 - m0), rising
    /// from m0 to 1.
    /// </summary>
    public static double RisingToOne(double epoch, double epochs, double m0) =>
        1.0 - 0.5 * (1.0 + Math.Cos(Math.PI * epoch / epochs)) * (1.0 - m0);

    /// <summary>
    /// MoCo v3 adjust_learning_rate at a fractional epoch: linear warmup from 0 to peak over
    /// warmupEpochs, then a half-cosine from peak to minLr (0 in MoCo v3) at the last epoch.
    /// </summary>
    public static double WarmupCosine(double epoch, double peak, double minValue, double warmupEpochs, double epochs)
    {
        if (epoch < warmupEpochs) return peak * epoch / warmupEpochs;
        if (epochs <= warmupEpochs) return peak;
        return Cosine(epoch - warmupEpochs, epochs - warmupEpochs, peak, minValue);
    }
}
