using Pretrain.Config;
using Pretrain.Schedules;

namespace Pretrain.Schedules;

/// <summary>Per-iteration learning rate and weight decay, computed in double up front as DINO does,
/// so the loop only indexes them.</summary>
public sealed class LearningRateSchedule
{
    private readonly double[] _lr;
    private readonly double[] _wd;

    /// <param name="linspaceWarmup">DINO's warmup: linspace(0, peak, W) reaches the peak at iteration W-1
    /// (MoCo's reaches it at W); identical after the warmup.</param>
    public LearningRateSchedule(OptimizerConfig opt, TrainingPlan plan, int globalBatch, bool linspaceWarmup = false)
    {
        PeakLr = opt.Lr > 0 ? opt.Lr : opt.LrScalingRule == LrScalingRule.Linear ? opt.BaseLr * globalBatch / 256.0 : opt.BaseLr;
        var n = (int)Math.Max(plan.TotalSteps, 1);
        _lr = new double[n];
        _wd = new double[n];
        for (int i = 0; i < n; i++)
        {
            var epoch = plan.EpochProgress(i);
            _lr[i] = CosineSchedule.WarmupCosine(epoch, PeakLr, opt.MinLr, opt.WarmupEpochs, plan.Epochs);
            _wd[i] = opt.WeightDecayEnd < 0
                ? opt.WeightDecay
                : CosineSchedule.Cosine(i, n, opt.WeightDecay, opt.WeightDecayEnd);
        }
        if (linspaceWarmup)
            CosineSchedule.PerIteration(PeakLr, opt.MinLr, n, 1, (int)Math.Round(opt.WarmupEpochs * plan.StepsPerEpoch)).CopyTo(_lr, 0);
    }

    public double PeakLr { get; }
    public double Lr(long step) => _lr[Math.Min(step, _lr.Length - 1)];
    public double WeightDecay(long step) => _wd[Math.Min(step, _wd.Length - 1)];
}
