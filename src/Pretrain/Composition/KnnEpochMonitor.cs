using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Eval;
using Pretrain.Methods;
using Pretrain.Training;
using static TorchSharp.torch;

namespace Pretrain.Composition;

/// <summary>eval.knn_every_epochs: the k-NN monitor on the method's default probe backbone, on the
/// splits the run opened.</summary>
internal sealed class KnnEpochMonitor(RunConfig cfg, DataSplits splits, Device device) : IEpochMonitor
{
    private readonly KnnMonitor _knn = new(splits);

    public string Name => "k-NN monitor";

    public IReadOnlyDictionary<string, double>? AfterEpoch(int epoch, ISslMethod method) =>
        (epoch + 1) % cfg.Eval.KnnEveryEpochs == 0 ? _knn.Run(method.ProbeBackbone(), cfg, device) : null;
}
