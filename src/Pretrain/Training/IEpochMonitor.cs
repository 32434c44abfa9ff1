using Pretrain.Methods;

namespace Pretrain.Training;

/// <summary>Something the trainer runs at epoch ends (the k-NN monitor): its values go to
/// metrics.jsonl, the checkpoint's history and the log.</summary>
public interface IEpochMonitor
{
    /// <summary>For the log line, e.g. "k-NN monitor".</summary>
    string Name { get; }

    /// <summary>The values of this epoch, or null when the monitor does not run after it.</summary>
    IReadOnlyDictionary<string, double>? AfterEpoch(int epoch, ISslMethod method);
}
