using Pretrain.Config;
using Pretrain.Data;
using Pretrain.Methods.Losses;
using Pretrain.Mixing;
using Pretrain.Models;
using Pretrain.Training;
using Pretrain.Training.Checkpoints;
using Pretrain.Training.Ema;
using Pretrain.Training.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// MoCo v3 (Chen et al. 2021) with optional SDMP (spec/sdmp.md §2). Query = backbone + projector +
/// predictor; momentum encoder = EMA copy of backbone + projector, updated before the keys are computed.
/// Views that share an encoder call are concatenated into one forward; the heads' BatchNorms keep
/// per-view statistics through ChunkedBatchNorm, so the numerics equal separate calls.
/// </summary>
public sealed class MocoV3 : ISslMethod
{
    private readonly MocoConfig _cfg;
    private readonly SdmpConfig _sdmp;
    private readonly TrainingPlan _plan;
    private readonly MocoQueryEncoder _query;
    private readonly MocoEncoder _momentum;
    private readonly SdmpMixer? _mixer;

    public MocoV3(RunConfig cfg, TrainingPlan plan, Device device)
    {
        _cfg = cfg.Method.Mocov3;
        _sdmp = cfg.Sdmp;
        _plan = plan;
        _query = new MocoQueryEncoder(BuildEncoder(cfg), BuildPredictor(cfg));
        _momentum = BuildEncoder(cfg);
        _query.to(device);
        _momentum.to(device);
        MomentumUpdater.CopyInto(_query.encoder, _momentum);
        _mixer = cfg.Sdmp.Enabled ? new SdmpMixer(cfg.Sdmp) : null;
    }

    private static MocoEncoder BuildEncoder(RunConfig cfg)
    {
        var m = cfg.Method.Mocov3;
        var backbone = BackboneFactory.Create(cfg.Model, cfg.Augment.Views[0].CropSize);
        return new MocoEncoder(backbone, new MocoMlp(m.ProjLayers, backbone.FeatureDim, m.HiddenDim, m.OutDim, lastBn: true));
    }

    private static MocoMlp BuildPredictor(RunConfig cfg)
    {
        var m = cfg.Method.Mocov3;
        return new MocoMlp(m.PredLayers, m.OutDim, m.HiddenDim, m.OutDim, lastBn: m.PredLastBn);
    }

    public string Name => "mocov3";
    public nn.Module Online => _query;

    public Backbone ProbeBackbone(string which = "default") => which switch
    {
        "default" or "online" or "query" => _query.encoder.backbone,
        "momentum" or "teacher" => _momentum.backbone,
        _ => throw new UserInputException($"unknown backbone '{which}' for mocov3 (use query or momentum)"),
    };

    public IReadOnlyDictionary<string, Tensor> StateTensors()
    {
        var d = new Dictionary<string, Tensor>();
        ModuleTensors.AddTo(d, _query, "query.");
        ModuleTensors.AddTo(d, _momentum, "momentum.");
        return d;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        ModuleTensors.LoadInto(_query, state, "query.");
        ModuleTensors.LoadInto(_momentum, state, "momentum.");
    }

    public void SetTraining(bool training)
    {
        _query.train(training);
        _momentum.train(training);
    }

    /// <summary>m(e) = 1 - ½(1+cos(π·e/E))·(1-m0), e the fractional epoch; constant m0 when disabled.</summary>
    private double MomentumAt(StepContext ctx) => _cfg.MomentumCosine
        ? MocoSchedule.Momentum(ctx.EpochProgress, _plan.Epochs, _cfg.Momentum)
        : _cfg.Momentum;

    public StepResult Forward(IReadOnlyList<Tensor> views, StepContext ctx)
    {
        if (views.Count < 2) throw new UserInputException("mocov3 needs two augmented views (augment.views)");
        var tau = _cfg.Temperature;
        var m = MomentumAt(ctx);
        var scalars = new Dictionary<string, double> { ["momentum"] = m };
        Tensor x1 = views[0], x2 = views[1];

        if (_mixer is null)
        {
            var q = QueryForward(cat([x1, x2]), 2).chunk(2);
            UpdateMomentumEncoder(m);
            var k = KeyForward(cat([x1, x2]), 2).chunk(2);
            var loss = MocoLoss.Symmetric(q[0], q[1], k[0], k[1], tau);
            return new StepResult(loss, new Dictionary<string, Tensor> { ["loss_moco"] = loss }, scalars);
        }

        var rng = new KeyedRandom(KeyedRandom.Key((long)ctx.Key, 1));
        if (_sdmp.ViewSwap && rng.Bernoulli(0.5)) (x1, x2) = (x2, x1);
        var mix = _mixer.Mix(x1, x2, KeyedRandom.Key((long)ctx.Key, 2));
        var qs = QueryForward(cat([x1, mix.Mixed2]), 2).chunk(2);           // q1, q̃2
        UpdateMomentumEncoder(m);
        var ks = KeyForward(cat([x1, mix.Mixed1, x2]), 3).chunk(3);         // k1, k̃1, k2
        var terms = SdmpMocoLoss.Total(qs[0], qs[1], ks[0], ks[1], ks[2], mix.Lambda, tau,
            SdmpTargets.Parse(_sdmp.Target), _sdmp.WeightSource, _sdmp.WeightMix);
        scalars["sdmp_op"] = (int)mix.Op;
        return new StepResult(terms.Total, new Dictionary<string, Tensor>
        {
            ["loss_moco"] = terms.Moco, ["loss_source"] = terms.Source, ["loss_mix"] = terms.Mix,
        }, scalars);
    }

    private Tensor QueryForward(Tensor x, int chunks)
    {
        using var _ = ChunkedBatchNorm.Scope(_query, chunks);
        return _query.call(x);
    }

    /// <summary>Keys need no autograd at all: inference mode skips its bookkeeping (cheaper than no_grad);
    /// the clone outside it makes the keys ordinary tensors the loss's backward may save.</summary>
    private Tensor KeyForward(Tensor x, int chunks)
    {
        Tensor keys;
        using (inference_mode())
        using (ChunkedBatchNorm.Scope(_momentum, chunks))
            keys = _momentum.call(x);
        return keys.clone();
    }

    private void UpdateMomentumEncoder(double m) => MomentumUpdater.Update(_query.encoder, _momentum, m);

    public void Dispose()
    {
        _query.Dispose();
        _momentum.Dispose();
    }
}
