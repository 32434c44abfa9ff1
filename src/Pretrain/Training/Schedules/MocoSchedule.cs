namespace Pretrain.Training.Schedules;

/// <summary>MoCo v3's per-iteration schedules (main_moco.py) as functions of the fractional epoch.</summary>
public static class MocoSchedule
{
    /// <summary>adjust_learning_rate: warmup from 0, then half-cosine to 0.</summary>
    public static double LearningRate(double epoch, double baseLr, double warmupEpochs, double epochs) =>
        CosineSchedule.WarmupCosine(epoch, baseLr, 0.0, warmupEpochs, epochs);

    /// <summary>adjust_moco_momentum: m(e) = 1 - ½(1 + cos(π·e/E))·(1 - m0).</summary>
    public static double Momentum(double epoch, double epochs, double m0) =>
        1.0 - 0.5 * (1.0 + Math.Cos(Math.PI * epoch / epochs)) * (1.0 - m0);
}
