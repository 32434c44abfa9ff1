using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Eval;
using Pretrain.Methods;
using Pretrain.Training;
using Serilog;
using static TorchSharp.torch;

namespace Pretrain.Composition;

/// <summary>eval.knn_every_epochs: the k-NN monitor on the method's default probe backbone, on the
/// splits the run opened. A pass that takes longer than PRETRAIN_PROGRESS_SECONDS (30 s) logs its progress.</summary>
internal sealed class KnnEpochMonitor(RunConfig cfg, DataSplits splits, Device device, ILogger? log = null) : IEpochMonitor
{
    private readonly IProgressSink? _progress = log is null ? null : TrainingRun.ProgressLines(log);
    private readonly KnnMonitor _knn = new(splits);

    public string Name => "k-NN monitor";

    public IReadOnlyDictionary<string, double>? AfterEpoch(int epoch, ISslMethod method) =>
        (epoch + 1) % cfg.Eval.KnnEveryEpochs == 0 ? _knn.Run(method.ProbeBackbone(), cfg, device, _progress) : null;
}
