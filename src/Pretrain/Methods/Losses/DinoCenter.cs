using Pretrain.Distributed;
using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// DINO's teacher center, long-lived state saved in checkpoints: after each step
/// c ← m·c + (1-m)·mean over the batch of the clean teacher outputs (DINOLoss.update_center,
/// single process). Starts at zero.
/// </summary>
public sealed class DinoCenter : IDisposable
{
    public DinoCenter(long outDim, double momentum, Device device)
        : this(zeros(1, outDim, ScalarType.Float32, device), momentum) { }

    /// <summary>Takes a copy of <paramref name="initial"/> ([1, K] or [K]).</summary>
    public DinoCenter(Tensor initial, double momentum)
    {
        if (!(momentum >= 0 && momentum <= 1)) throw new ArgumentOutOfRangeException(nameof(momentum));
        Momentum = momentum;
        Value = initial.detach().reshape(1, initial.numel()).clone().DetachFromDisposeScope();
    }

    /// <summary>[1, K]; read it detached for the loss, it changes in place on <see cref="Update"/>.</summary>
    public Tensor Value { get; }

    public double Momentum { get; }

    /// <param name="dp">Data-parallel: the batch mean is over every rank's rows (DINO's all-reduce).</param>
    public void Update(Tensor teacherOut, DataParallel? dp = null)
    {
        if (teacherOut.dim() != 2 || teacherOut.shape[1] != Value.shape[1])
            throw new ArgumentException($"teacher output [{string.Join(",", teacherOut.shape)}] does not match center K = {Value.shape[1]}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var batchCenter = dp is { IsDistributed: true }
            ? dp.SumAcrossRanks(teacherOut.detach().to(Value.dtype).sum([0], keepdim: true).contiguous()).div(teacherOut.shape[0] * dp.World).to(Value.dtype, Value.device)
            : teacherOut.detach().mean([0], keepdim: true).to(Value.dtype, Value.device);
        Value.mul_(Momentum).add_(batchCenter, alpha: 1 - Momentum);
    }

    public void Load(Tensor saved)
    {
        if (saved.numel() != Value.numel()) throw new ArgumentException($"saved center has {saved.numel()} entries, expected {Value.numel()}");
        using var noGrad = no_grad();
        Value.copy_(saved.reshape(1, Value.numel()).to(Value.dtype, Value.device));
    }

    public void Dispose() => Value.Dispose();
}
