namespace Pretrain.Eval;

/// <summary>One epoch of linear evaluation: <paramref name="Epoch"/> counts epochs done (1 = after the first),
/// top-1/top-5 in percent on the val split, mean training cross-entropy, and the lr the epoch used.</summary>
public sealed record LinearEpoch(int Epoch, double Top1, double Top5, double TrainLoss, double Lr);
