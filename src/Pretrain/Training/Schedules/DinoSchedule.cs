namespace Pretrain.Training.Schedules;

/// <summary>
/// DINO's teacher temperature (DINOLoss.__init__): linspace(warmup, final, warmupEpochs) over the
/// first warmupEpochs epochs, then constant.
/// </summary>
public static class DinoSchedule
{
    public static double TeacherTemperature(int epoch, double warmupTemp, double temp, int warmupEpochs)
    {
        if (epoch < 0 || warmupEpochs < 0) throw new ArgumentOutOfRangeException(nameof(epoch));
        return epoch < warmupEpochs ? Linspace.At(warmupTemp, temp, warmupEpochs, epoch) : temp;
    }

    /// <summary>The whole per-epoch array, as DINO builds it.</summary>
    public static double[] TeacherTemperatures(double warmupTemp, double temp, int warmupEpochs, int epochs)
    {
        if (warmupEpochs > epochs) throw new ArgumentException($"teacher temperature warmup ({warmupEpochs} epochs) is longer than training ({epochs})");
        var schedule = new double[epochs];
        for (int e = 0; e < epochs; e++) schedule[e] = TeacherTemperature(e, warmupTemp, temp, warmupEpochs);
        return schedule;
    }
}
