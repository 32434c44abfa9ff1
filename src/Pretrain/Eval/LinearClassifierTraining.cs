using System.Text.Json.Nodes;
using Pretrain.Checkpoints;
using Pretrain.Common;
using Pretrain.Data;
using Pretrain.Models;
using Pretrain.Optim;
using TorchSharp.Modules;
using TorchSharp;
using ParamGroup = Pretrain.Optim.ParamGroup;
using static TorchSharp.torch;

namespace Pretrain.Eval;

/// <summary>
/// The linear classifier of a linear evaluation and its optimisation, independent of where the
/// features come from: Linear(dim → classes) with weight ~ N(0, 0.01) and bias 0, SGD momentum 0.9,
/// weight decay 0, per-epoch cosine learning rate. Its whole state (weights, momentum buffers, epochs
/// done, history) goes into a checkpoint, so a resumed evaluation continues bit for bit.
/// </summary>
public sealed class LinearClassifierTraining : IDisposable
{
    private const long ShuffleStream = 0x4C494E; // "LIN"
    private readonly Sgd _sgd;
    private readonly List<LinearEpoch> _history = [];

    public LinearClassifierTraining(int featureDim, int numClasses, LinearEvalProtocol protocol, long seed, Device device)
    {
        if (featureDim < 1 || numClasses < 2) throw new ArgumentException($"linear classifier needs features (got dim {featureDim}) and at least 2 classes (got {numClasses})");
        Protocol = protocol;
        Seed = seed;
        FeatureDim = featureDim;
        NumClasses = numClasses;
        Classifier = nn.Linear(featureDim, numClasses);
        // Drawn on the CPU from its own generator: the same start on every device.
        using (no_grad())
        {
            var gen = new Generator((ulong)seed, CPU);
            Classifier.weight!.normal_(0, 0.01, gen);
            Classifier.bias!.zero_();
        }
        Classifier.to(device);
        _sgd = new Sgd([new ParamGroup([Classifier.weight!, Classifier.bias!], ApplyWeightDecay: true, LarsAdapt: false, "classifier")], momentum: 0.9);
    }

    public LinearEvalProtocol Protocol { get; }
    public long Seed { get; }
    public int FeatureDim { get; }
    public int NumClasses { get; }
    public Linear Classifier { get; }
    public IReadOnlyList<LinearEpoch> History => _history;
    public int EpochsDone => _history.Count;

    /// <summary>The shuffled mini-batches of cached features for one epoch (a permutation keyed by seed and
    /// epoch; the last batch may be short). Each pair is the caller's to dispose.</summary>
    public IEnumerable<(Tensor X, Tensor Y)> CachedBatches(Tensor x, Tensor y, int epoch)
    {
        int n = (int)x.shape[0], b = Protocol.BatchSize;
        var perm = new KeyedRandom(KeyedRandom.Key(Seed, epoch, ShuffleStream)).Permutation(n);
        using var order = tensor(perm.Select(i => (long)i).ToArray(), device: x.device);
        for (int start = 0; start < n; start += b)
        {
            Tensor bx, by;
            using (var scope = NewDisposeScope())
            {
                var idx = order.narrow(0, start, Math.Min(b, n - start));
                bx = scope.MoveToOuter(x.index_select(0, idx));
                by = scope.MoveToOuter(y.index_select(0, idx));
            }
            yield return (bx, by);
        }
    }

    /// <summary>One epoch of SGD over <paramref name="batches"/> (features, labels; disposed here).
    /// Returns the sample-weighted mean loss; one device→host read per epoch.</summary>
    public double TrainEpoch(IEnumerable<(Tensor X, Tensor Y)> batches, int epoch, out double lr)
    {
        lr = Protocol.LrAt(epoch);
        using var scope = NewDisposeScope();
        var device = Classifier.weight!.device;
        var lossSum = zeros(1, dtype: ScalarType.Float64, device: device);
        long samples = 0;
        foreach (var (x, y) in batches)
        {
            using (x)
            using (y)
            using (var step = NewDisposeScope())
            {
                var loss = nn.functional.cross_entropy(Classifier.forward(x.to(float32)), y);
                _sgd.ZeroGrad();
                loss.backward();
                _sgd.Step(lr, 0.0);
                using (no_grad()) lossSum.add_(loss.detach().to(float64) * x.shape[0]);
                samples += x.shape[0];
            }
        }
        if (samples == 0) throw new InvalidOperationException("linear evaluation epoch saw no training samples");
        return lossSum.item<double>() / samples;
    }

    /// <summary>Top-1 and top-5 accuracy (percent) of the classifier on features <paramref name="x"/>.</summary>
    public (double Top1, double Top5) Evaluate(Tensor x, Tensor y, int chunk = 8192)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long m = x.shape[0];
        if (m == 0) throw new ArgumentException("no validation samples");
        var top1 = zeros(1, dtype: ScalarType.Int64, device: x.device);
        var top5 = zeros(1, dtype: ScalarType.Int64, device: x.device);
        int k = Math.Min(5, NumClasses);
        for (long start = 0; start < m; start += chunk)
        {
            using var inner = NewDisposeScope();
            long len = Math.Min(chunk, m - start);
            var (_, idx) = Classifier.forward(x.narrow(0, start, len).to(float32)).topk(k, dim: 1);
            var correct = idx.eq(y.narrow(0, start, len).unsqueeze(1));
            top1.add_(correct.narrow(1, 0, 1).sum());
            top5.add_(correct.any(1).sum());
        }
        return (100.0 * top1.item<long>() / m, 100.0 * top5.item<long>() / m);
    }

    public void Record(LinearEpoch epoch) => _history.Add(epoch);

    /// <summary>Checkpoint of the classifier, its optimizer and the history. The tensors alias live state:
    /// write it before the next step.</summary>
    public Checkpoint ToCheckpoint(JsonObject settings)
    {
        var tensors = new Dictionary<string, Tensor>();
        ModuleTensors.AddTo(tensors, Classifier, "classifier.");
        foreach (var (k, t) in _sgd.StateTensors()) tensors["optim." + k] = t;
        var meta = new JsonObject
        {
            [CheckpointStore.GlobalStepKey] = _sgd.Steps,
            ["epochs_done"] = EpochsDone,
            ["settings"] = settings.DeepClone(),
            ["history"] = new JsonArray(_history.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch, ["top1"] = e.Top1, ["top5"] = e.Top5, ["train_loss"] = e.TrainLoss, ["lr"] = e.Lr,
            }).ToArray()),
        };
        return new Checkpoint(tensors, meta.ToJsonString());
    }

    /// <summary>Restores a checkpoint written by <see cref="ToCheckpoint"/> with the same settings.</summary>
    public void Restore(Checkpoint ckpt, JsonObject settings, string path)
    {
        var meta = JsonNode.Parse(ckpt.MetadataJson)!.AsObject();
        var saved = meta["settings"]?.ToJsonString();
        if (saved != settings.ToJsonString())
            throw new Pretrain.Config.UserInputException($"{path}: the linear evaluation there used other settings ({saved}); now {settings.ToJsonString()}; delete its folder or use another --output to start afresh");
        ModuleTensors.LoadInto(Classifier, ckpt.Tensors, "classifier.");
        _sgd.LoadState(ckpt.Select("optim."));
        _history.Clear();
        foreach (var e in meta["history"]!.AsArray())
            _history.Add(new LinearEpoch(e!["epoch"]!.GetValue<int>(), e["top1"]!.GetValue<double>(), e["top5"]!.GetValue<double>(),
                e["train_loss"]!.GetValue<double>(), e["lr"]!.GetValue<double>()));
    }

    public void Dispose()
    {
        _sgd.Dispose();
        Classifier.Dispose();
    }
}
