using Pretrain.Config;

namespace Pretrain.Schedules;

/// <summary>How long the run is: steps per epoch (from the loader), epochs, and the last step.
/// Schedules are functions of these.</summary>
public sealed record TrainingPlan(int StepsPerEpoch, int Epochs, long MaxSteps)
{
    public long TotalSteps => (long)StepsPerEpoch * Epochs;

    /// <summary>The step after which the run stops (training.max_steps caps the schedule's length).</summary>
    public long StopStep => MaxSteps > 0 ? Math.Min(MaxSteps, TotalSteps) : TotalSteps;

    public double EpochProgress(long step) => (double)step / StepsPerEpoch;

    public static TrainingPlan From(TrainingConfig t, int stepsPerEpoch) => new(stepsPerEpoch, t.Epochs, t.MaxSteps);
}
