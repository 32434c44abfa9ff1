using static TorchSharp.torch;

namespace Pretrain.Optim;

/// <summary>
/// An optimizer whose whole state is a flat set of named tensors, so a checkpoint can hold it
/// exactly. Learning rate and weight decay come with every step because the trainer owns the schedules.
/// </summary>
public interface IOptimizer : IDisposable
{
    /// <summary>Updates every parameter that has a gradient; parameters with a null grad are skipped.</summary>
    void Step(double lr, double weightDecay);

    /// <summary>Sets every gradient to null (PyTorch's set_to_none default).</summary>
    void ZeroGrad();

    /// <summary>
    /// The state, keyed "g{group}.p{index}.{buffer}" (e.g. "g0.p3.exp_avg"), "g{group}.p{index}.step"
    /// (int64 scalar: updates that parameter received) and "steps" (int64 scalar: calls to Step).
    /// Buffer entries alias the live state: copy or save them before the next Step.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> StateTensors();

    /// <summary>Copies a state produced by <see cref="StateTensors"/> of an optimizer with the same groups into this one.</summary>
    void LoadState(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>Calls to <see cref="Step"/> so far (restored by <see cref="LoadState"/>).</summary>
    long Steps { get; }
}
