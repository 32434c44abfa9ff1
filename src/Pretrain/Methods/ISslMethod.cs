using Pretrain.Models;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// What a self-supervised method tells the trainer: batch of views in, loss terms out. The trainer owns
/// the optimizer, schedules, checkpoints and logging and never knows which method runs.
/// </summary>
public interface ISslMethod : IDisposable
{
    string Name { get; }

    /// <summary>The module the optimizer trains (query encoder / student).</summary>
    nn.Module Online { get; }

    /// <summary>Backbone for probes and export; `which` is "online", "momentum"/"teacher" or "default".</summary>
    Backbone ProbeBackbone(string which = "default");

    /// <summary>Every tensor of long-lived method state (online and EMA weights, buffers, DINO center),
    /// by stable name. Exactly what a checkpoint must hold to continue the method.</summary>
    IReadOnlyDictionary<string, Tensor> StateTensors();

    void LoadState(IReadOnlyDictionary<string, Tensor> state);

    /// <summary>Computes the loss of one step. Runs inside the trainer's per-step dispose scope.</summary>
    StepResult Forward(IReadOnlyList<Tensor> views, StepContext ctx);

    /// <summary>After backward, before the optimizer step (e.g. DINO drops last-layer grads early on).</summary>
    void BeforeOptimizerStep(StepContext ctx) { }

    /// <summary>After the optimizer step (e.g. DINO's teacher EMA).</summary>
    void AfterOptimizerStep(StepContext ctx) { }

    void SetTraining(bool training);

    /// <summary>A warning worth a log line given this step's logged values (e.g. DINO collapse), else null.</summary>
    string? Warning(IReadOnlyDictionary<string, double> logged) => null;
}

/// <summary>Where the trainer is: the global step, the epoch and the fractional epoch, and the key
/// from which the method draws this step's random decisions (view swap, mixing op, λ, boxes).</summary>
public sealed record StepContext(long Step, int Epoch, double EpochProgress, ulong Key);

/// <summary>Total loss to differentiate, the named loss terms (0-dim, for logging) and other scalars
/// (momentum, temperatures) the method wants logged.</summary>
public sealed record StepResult(Tensor Loss, IReadOnlyDictionary<string, Tensor> Terms, IReadOnlyDictionary<string, double> Scalars);
