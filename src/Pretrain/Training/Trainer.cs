using System.Diagnostics;
using System.Text.Json.Nodes;
using Pretrain.Augment;
using Pretrain.Checkpoints;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Distributed;
using Pretrain.Methods;
using Pretrain.Optim;
using Pretrain.Schedules;
using Serilog;
using static TorchSharp.torch;

namespace Pretrain.Training;

/// <summary>
/// The parts a training loop runs with, built once by the composition root. The trainer owns (and
/// disposes) the method, the optimizer and the metrics writer from then on.
/// </summary>
public sealed record TrainerParts(
    RunConfig Config,
    Device Device,
    TrainLoader Loader,
    BatchAugmenter Augmenter,
    ISslMethod Method,
    IReadOnlyList<ParamGroup> Groups,
    IOptimizer Optimizer,
    LearningRateSchedule Schedule,
    TrainingPlan Plan,
    CheckpointStore Store,
    MetricsWriter Metrics,
    IReadOnlyList<IEpochMonitor> Monitors,
    DataParallel? Dp = null);

/// <summary>
/// The method-agnostic training loop: steps, logging, epoch-end monitors and checkpoints. The method
/// only turns views into loss terms; the trainer knows it through <see cref="ISslMethod"/> alone.
/// Every random decision of a step derives from (seed, step), the loader's from (seed, epoch, sample),
/// so a resumed run continues bit-identically.
/// Host synchronisation (docs: README "GPU readiness"): the loss terms are read to the host only at the
/// steps that need them (metrics every log_every_steps, an epoch end, a checkpoint step, the last step),
/// before that step's backward; every other step only folds "was any term non-finite" into a flag on the
/// device, read at the next such step. The next batch is staged on the device while a step runs.
/// Data-parallel (one process per rank, each with batch/world rows of every global batch): the replicas
/// start from rank 0's state, gradients are averaged across ranks after backward (one coalesced
/// all-reduce, before clipping), the logged values and the stop decision are agreed by all ranks every
/// step, and rank 0 alone writes metrics and checkpoints, with a barrier after each checkpoint.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly RunConfig _cfg;
    private readonly ILogger _log;
    private readonly CancellationToken _stop;
    private readonly Device _device;
    private readonly TrainLoader _loader;
    private readonly BatchAugmenter _augmenter;
    private readonly ISslMethod _method;
    private readonly IOptimizer _optimizer;
    private readonly IReadOnlyList<ParamGroup> _groups;
    private readonly LearningRateSchedule _schedule;
    private readonly CheckpointStore _store;
    private readonly MetricsWriter _metrics;
    private readonly IReadOnlyList<IEpochMonitor> _monitors;
    private readonly List<JsonObject> _history = [];
    private readonly DataParallel _dp;
    private bool _stopAgreed;
    private bool _replicasSynced;
    // Device-side record of the first non-finite step since the last host read: its step (-1: none) and terms.
    private Tensor? _badStep, _badValues;
    private string[] _badNames = [];

    public TrainingPlan Plan { get; }
    public TrainLoader Loader => _loader;
    public long Step { get; private set; }
    public ISslMethod Method => _method;
    public IOptimizer Optimizer => _optimizer;
    public Device Device => _device;

    /// <summary>Milliseconds the last step spent in the gradient all-reduce (0 in one process).</summary>
    public double LastAllReduceMs { get; private set; }

    public Trainer(TrainerParts parts, ILogger log, CancellationToken stop)
    {
        _cfg = parts.Config;
        _log = log;
        _stop = stop;
        _device = parts.Device;
        _loader = parts.Loader;
        _augmenter = parts.Augmenter;
        _method = parts.Method;
        _groups = parts.Groups;
        _optimizer = parts.Optimizer;
        _schedule = parts.Schedule;
        Plan = parts.Plan;
        _store = parts.Store;
        _metrics = parts.Metrics;
        _monitors = parts.Monitors;
        _dp = parts.Dp ?? DataParallel.Single;
    }

    /// <summary>Data-parallel: every rank takes rank 0's method and optimizer state (the same seed builds
    /// the same replicas; this makes it so whatever happened before, e.g. a resume).</summary>
    public void SyncReplicas()
    {
        _replicasSynced = true;
        if (!_dp.IsDistributed) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, t) in _method.StateTensors().Concat(_optimizer.StateTensors()).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            _dp.Collectives.Broadcast(t, 0);
    }

    /// <summary>Runs until the plan ends or a stop is requested. Returns true when the plan finished.</summary>
    public bool Run()
    {
        var progress = new TrainingProgress();
        // This run logs steps Step+1 onwards: rows (and TensorBoard points) an earlier, killed process
        // logged past Step would come twice, whether it resumed from a checkpoint or, killed before its
        // first one, starts from scratch.
        _metrics.DropRowsAfter(Step);
        if (!_replicasSynced) SyncReplicas();
        _method.SetTraining(true);
        StagedBatch? next = null;
        try
        {
        while (Step < Plan.StopStep)
        {
            int epoch = (int)(Step / Plan.StepsPerEpoch);
            int startBatch = (int)(Step % Plan.StepsPerEpoch);
            using var batches = _loader.Epoch(epoch, startBatch).GetEnumerator();
            while (Step < Plan.StopStep)
            {
                StagedBatch current;
                if (next is not null) (current, next) = (next, null);
                else
                {
                    var wait = Stopwatch.StartNew();
                    if (!batches.MoveNext()) break;
                    progress.AddWait(wait.Elapsed);
                    current = BatchAugmenter.Stage(batches.Current, _device);
                }
                Dictionary<string, double> logged;
                using (current)
                {
                    logged = TrainStep(current, epoch);
                    // While the device runs this step, the epoch's next batch goes on its way to it.
                    if (Step < Plan.StopStep && Step % Plan.StepsPerEpoch != 0 && !_stop.IsCancellationRequested)
                    {
                        var wait = Stopwatch.StartNew();
                        if (batches.MoveNext()) next = BatchAugmenter.Stage(batches.Current, _device);
                        progress.AddWait(wait.Elapsed);
                    }
                }
                progress.AddStep(current.Raw.Size);
                if (Step % _cfg.Training.LogEverySteps == 0 || Step == Plan.StopStep) Log(logged, epoch, progress);
                bool epochEnd = Step % Plan.StepsPerEpoch == 0;
                if (epochEnd)
                {
                    batches.MoveNext();   // the loader reports the epoch's replaced samples when its enumeration ends
                    OnEpochEnd(epoch);
                }
                else if (_cfg.Training.CheckpointEverySteps > 0 && Step % _cfg.Training.CheckpointEverySteps == 0) SaveCheckpoint(epochFile: false);
                if (_dp.IsDistributed ? _stopAgreed : _stop.IsCancellationRequested)
                {
                    if (!epochEnd) SaveCheckpoint(epochFile: false);
                    _log.Warning("Stopped at step {Step}; checkpoint written to {Path}. Resume with --resume auto", Step, Path.Combine(_store.Directory, CheckpointStore.LatestName + CheckpointStore.Extension));
                    return false;
                }
                if (epochEnd) break;
            }
        }
        return true;
        }
        finally
        {
            next?.Dispose();
        }
    }

    /// <summary>Whether the step that ends at <paramref name="stepAfter"/> reads its loss terms to the host:
    /// it logs, ends an epoch or the run, or writes a checkpoint. Data-parallel runs agree the values and
    /// the stop request every step.</summary>
    public bool ReadsValues(long stepAfter) =>
        _dp.IsDistributed || stepAfter % _cfg.Training.LogEverySteps == 0 || stepAfter >= Plan.StopStep
        || stepAfter % Plan.StepsPerEpoch == 0
        || (_cfg.Training.CheckpointEverySteps > 0 && stepAfter % _cfg.Training.CheckpointEverySteps == 0);

    /// <summary>One optimizer step inside one dispose scope. Returns the logged scalars (the loss terms
    /// only at a step that <see cref="ReadsValues"/>).</summary>
    public Dictionary<string, double> TrainStep(RawBatch raw, int epoch)
    {
        using var staged = BatchAugmenter.Stage(raw, _device);
        return TrainStep(staged, epoch);
    }

    /// <summary>One optimizer step on a batch staged on the device, inside one dispose scope.</summary>
    public Dictionary<string, double> TrainStep(StagedBatch staged, int epoch)
    {
        try
        {
            return TrainStepInScope(staged, epoch);
        }
        finally
        {
            NativeGarbage.CollectAfterStep();
        }
    }

    private Dictionary<string, double> TrainStepInScope(StagedBatch staged, int epoch)
    {
        using var scope = NewDisposeScope();
        var ctx = new StepContext(Step, epoch, Plan.EpochProgress(Step), KeyedRandom.Key(_cfg.Experiment.Seed, Step, 0x5743));
        // Drop path and other torch-side randomness: a pure function of (seed, step), so resume is exact.
        manual_seed((long)(KeyedRandom.Key(_cfg.Experiment.Seed, Step, 0x70C4) >> 1));
        var views = Enumerable.Range(0, staged.ViewCount).Select(i => _augmenter.Apply(staged, i)).ToArray();
        var result = _method.Forward(views, ctx);

        var names = result.Terms.Keys.ToArray();
        var local = stack([result.Loss.detach(), .. names.Select(n => result.Terms[n].detach())]);
        var logged = new Dictionary<string, double>();
        if (ReadsValues(Step + 1))
        {
            ThrowIfEarlierNonFinite();
            var values = AgreedValues(local);
            logged["loss"] = values[0];
            for (int i = 0; i < names.Length; i++) logged[names[i]] = values[i + 1];
            if (!values.All(double.IsFinite))
                throw new NonFiniteLossException(Step, logged);
        }
        else NoteNonFinite(local, names);

        var lr = _schedule.Lr(Step);
        var wd = _schedule.WeightDecay(Step);
        _optimizer.ZeroGrad();
        result.Loss.backward();
        AverageGradients();
        if (_cfg.Optimizer.ClipGrad > 0)
        {
            var ps = _groups.SelectMany(g => g.Params);
            if (_cfg.Optimizer.ClipModeKind == GradClipMode.Global) GradClip.Global(ps, _cfg.Optimizer.ClipGrad);
            else GradClip.PerParameter(ps, _cfg.Optimizer.ClipGrad);
        }
        _method.BeforeOptimizerStep(ctx);
        _optimizer.Step(lr, wd);
        _method.AfterOptimizerStep(ctx);
        Step++;

        logged["lr"] = lr;
        logged["weight_decay"] = wd;
        foreach (var (k, v) in result.Scalars) logged[k] = v;
        return logged;
    }

    /// <summary>A step that does not read its terms: when any is non-finite and no earlier step was, its
    /// step and terms are kept on the device (no host sync), for the next reading step to report.</summary>
    private void NoteNonFinite(Tensor local, string[] names)
    {
        using var noGrad = no_grad();
        var values = local.to(float64);
        if (_badStep is null || _badValues is null || !_badValues.shape.SequenceEqual(values.shape))
        {
            _badStep?.Dispose();
            _badValues?.Dispose();
            _badStep = full(Array.Empty<long>(), -1L, ScalarType.Int64, _device).DetachFromDisposeScope();
            _badValues = zeros_like(values).DetachFromDisposeScope();
            _badNames = names;
        }
        var first = values.isfinite().all().logical_not().logical_and(_badStep.lt(0));
        _badValues.copy_(where(first, values, _badValues));
        _badStep.masked_fill_(first, Step);
    }

    /// <summary>Reads the device-side flag (one small host read): throws for the first non-finite step
    /// since the last read, naming it and its terms. The weights have moved on since that step; the
    /// caller reads before any checkpoint is written, so no checkpoint holds them.</summary>
    private void ThrowIfEarlierNonFinite()
    {
        if (_badStep is null || _badValues is null) return;
        using var scope = NewDisposeScope();
        var host = cat([_badStep.to(float64).reshape(1), _badValues.reshape(-1)]).cpu().data<double>().ToArray();
        if (host[0] < 0) return;
        var terms = new Dictionary<string, double> { ["loss"] = host[1] };
        for (int i = 0; i < _badNames.Length; i++) terms[_badNames[i]] = host[i + 2];
        throw new NonFiniteLossException((long)host[0], terms, detectedAt: Step);
    }

    /// <summary>The step's loss terms on the host. Data-parallel: averaged over the ranks (the global-batch
    /// mean), with every rank's stop request folded in, so all ranks log, stop on a non-finite value
    /// and honour a signal at the same step.</summary>
    private double[] AgreedValues(Tensor local)
    {
        if (!_dp.IsDistributed) return local.to(float64).cpu().data<double>().ToArray();
        var flag = tensor(new[] { _stop.IsCancellationRequested ? 1f : 0f }, device: local.device);
        var all = cat([local.to(float32).reshape(-1), flag]).contiguous();
        _dp.Collectives.AllReduce(all, ReduceOp.Sum);
        var host = all.to(float64).cpu().data<double>().ToArray();
        _stopAgreed = host[^1] > 0;
        return host[..^1].Select(v => v / _dp.World).ToArray();
    }

    /// <summary>Data-parallel: every gradient becomes the mean over the ranks (one coalesced all-reduce),
    /// which with per-rank mean losses is the gradient of the global-batch loss.</summary>
    private void AverageGradients()
    {
        LastAllReduceMs = 0;
        if (!_dp.IsDistributed) return;
        var sw = Stopwatch.StartNew();
        var grads = _groups.SelectMany(g => g.Params).Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        _dp.Collectives.AllReduceCoalesced(grads, ReduceOp.Average);
        LastAllReduceMs = sw.Elapsed.TotalMilliseconds;
    }

    private void Log(Dictionary<string, double> logged, int epoch, TrainingProgress progress)
    {
        var (ips, waitPct) = progress.Close();
        logged["images_per_sec"] = ips;
        logged["data_wait_pct"] = waitPct;
        _metrics.Write(Step, epoch, logged);
        var entry = new JsonObject { ["step"] = Step, ["epoch"] = epoch };
        foreach (var (k, v) in logged) entry[k] = v;
        _history.Add(entry);
        var terms = string.Join(" ", logged.Where(kv => kv.Key.StartsWith("loss_")).Select(kv => $"{kv.Key[5..]} {kv.Value:F4}"));
        var momentum = logged.TryGetValue("momentum", out var m) ? $" m {m:F5}" : "";
        _log.Information("ep {Epoch} step {Step}/{Total} loss {Loss:F4} ({Terms}) lr {Lr:E2}{Momentum} | {Ips:F1} img/s, data-wait {Wait:F0}%, ETA {Eta}",
            epoch, Step, Plan.StopStep, logged["loss"], terms, logged["lr"], momentum, ips, waitPct, ProgressFormat.Duration(progress.Eta(Plan.StopStep - Step)));
        if (_method.Warning(logged) is { } warning) _log.Warning("step {Step}: {Warning}", Step, warning);
    }

    private void OnEpochEnd(int epoch)
    {
        foreach (var monitor in _monitors)
        {
            // One writer: rank 0 evaluates; the others wait for it at the checkpoint's barrier.
            if (_dp.Rank != 0 || monitor.AfterEpoch(epoch, _method) is not { } values) continue;
            _metrics.Write(Step, epoch, values);
            var entry = new JsonObject { ["step"] = Step, ["epoch"] = epoch };
            foreach (var (k, v) in values) entry[k] = v;
            _history.Add(entry);
            _log.Information("ep {Epoch} {Monitor:l}: {Values}", epoch, monitor.Name, string.Join(", ", values.Select(kv => $"{kv.Key} {kv.Value:F2}")));
        }
        bool epochFile = _cfg.Training.CheckpointEveryEpochs > 0 && (epoch + 1) % _cfg.Training.CheckpointEveryEpochs == 0;
        SaveCheckpoint(epochFile);
    }

    // ---- checkpoints -------------------------------------------------------------------------

    /// <summary>Everything needed to continue exactly: method state (weights, EMA weights, buffers,
    /// center), optimizer state, position, torch RNG, the resolved config and the metric history.</summary>
    public void SaveCheckpoint(bool epochFile)
    {
        ThrowIfEarlierNonFinite();
        if (_dp.IsDistributed)
        {
            CheckReplicas();
            if (_dp.Rank == 0) Write(epochFile);
            _dp.Collectives.Barrier();   // no rank runs ahead of (or exits before) the checkpoint
        }
        else Write(epochFile);
    }

    /// <summary>Data-parallel: the ranks' method states must be bit-identical (same start, same averaged
    /// gradients, same updates); CRC-32C of every state tensor, compared across ranks.</summary>
    private void CheckReplicas()
    {
        using var scope = NewDisposeScope();
        uint state = Crc32C.Initial;
        foreach (var (_, t) in _method.StateTensors().OrderBy(kv => kv.Key, StringComparer.Ordinal))
            state = Crc32C.Update(state, t.detach().cpu().contiguous().bytes);
        uint crc = Crc32C.Final(state);
        // Two exact 16-bit halves per rank: the all-gather carries float32.
        var all = _dp.Gather(tensor(new[] { (float)(crc >> 16), (float)(crc & 0xFFFF) }, device: _device)).cpu().data<float>().ToArray();
        var crcs = Enumerable.Range(0, _dp.World).Select(r => ((uint)all[2 * r] << 16) | (uint)all[2 * r + 1]).ToArray();
        if (crcs.Distinct().Count() > 1)
            throw new InvalidOperationException($"data-parallel replicas diverged at step {Step}: method-state CRC-32C per rank {string.Join(", ", crcs.Select(c => c.ToString("x8")))}");
        _log.Information("step {Step}: {World} replicas bit-identical (CRC-32C {Crc})", Step, _dp.World, crc.ToString("x8"));
    }

    private void Write(bool epochFile)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (k, t) in _method.StateTensors()) tensors["method." + k] = t;
        foreach (var (k, t) in _optimizer.StateTensors()) tensors["optim." + k] = t;
        tensors["rng.torch"] = get_rng_state();
        var meta = new JsonObject
        {
            ["format"] = 1,
            [CheckpointStore.GlobalStepKey] = Step,
            ["epoch"] = (int)(Step / Plan.StepsPerEpoch),
            ["batch_in_epoch"] = (int)(Step % Plan.StepsPerEpoch),
            ["steps_per_epoch"] = Plan.StepsPerEpoch,
            ["method"] = _method.Name,
            ["optimizer"] = _cfg.Optimizer.Name,
            ["config"] = ConfigWriter.ToYaml(_cfg),
            ["history"] = new JsonArray(_history.Select(h => (JsonNode)h.DeepClone()).ToArray()),
        };
        var ckpt = new Checkpoint(tensors, meta.ToJsonString());
        if (epochFile) _store.SaveEpoch((int)(Step / Plan.StepsPerEpoch), ckpt);   // also refreshes latest
        else _store.SaveLatest(ckpt);
    }

    /// <summary>Restores a checkpoint written by <see cref="SaveCheckpoint"/>; refuses one whose model or
    /// method differ from this run's config, or whose schedule differs unless <paramref name="allowScheduleChange"/>.</summary>
    public void Resume(string path, bool allowScheduleChange = false)
    {
        var ckpt = CheckpointStore.Load(path);
        var meta = JsonNode.Parse(ckpt.MetadataJson)!.AsObject();
        var saved = ConfigLoader.FromYaml(meta["config"]!.GetValue<string>(), path);
        ResumeCompatibility.Check(saved, _cfg, path);
        var scheduleChanges = ResumeCompatibility.CheckSchedule(saved, _cfg, path, allowScheduleChange);
        if (meta["steps_per_epoch"]!.GetValue<int>() != Plan.StepsPerEpoch)
            throw new UserInputException($"{path}: checkpoint has {meta["steps_per_epoch"]} steps per epoch, this run {Plan.StepsPerEpoch} (data or batch size changed); cannot resume exactly");
        _method.LoadState(WithPrefix(ckpt.Tensors, "method."));
        _optimizer.LoadState(WithPrefix(ckpt.Tensors, "optim."));
        if (ckpt.Tensors.TryGetValue("rng.torch", out var rng)) set_rng_state(rng);
        Step = meta[CheckpointStore.GlobalStepKey]!.GetValue<long>();
        _history.Clear();
        foreach (var h in meta["history"]!.AsArray()) _history.Add(h!.AsObject().DeepClone().AsObject());
        _log.Information("Resumed from {Path} at step {Step} (epoch {Epoch}, batch {Batch})", path, Step, Step / Plan.StepsPerEpoch, Step % Plan.StepsPerEpoch);
        if (scheduleChanges.Count > 0)
            _log.Warning("--allow-schedule-change: the schedule changes at step {Step}: {Changes}", Step, string.Join(", ", scheduleChanges));
    }

    private static Dictionary<string, Tensor> WithPrefix(IReadOnlyDictionary<string, Tensor> all, string prefix)
        => all.Where(kv => kv.Key.StartsWith(prefix)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);

    public void Dispose()
    {
        _badStep?.Dispose();
        _badValues?.Dispose();
        _metrics.Dispose();
        _optimizer.Dispose();
        _method.Dispose();
    }
}
