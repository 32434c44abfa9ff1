using Pretrain.Config;
using Pretrain.Distributed;
using Pretrain.Ema;
using Pretrain.Methods.Losses;
using Pretrain.Models;
using Pretrain.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Methods;

/// <summary>
/// MoCo v3 (Chen et al. 2021) with optional SDMP (docs/sdmp.md §2). Query = backbone + projector +
/// predictor; momentum encoder = EMA copy of backbone + projector, updated before the keys are computed.
/// Views that share an encoder call are concatenated into one forward; the heads' BatchNorms keep
/// per-view statistics through ChunkedBatchNorm, so the numerics equal separate calls.
/// Data-parallel: BatchNorm statistics span the ranks (SyncBatchNorm), the keys of every rank are
/// gathered for the logits (query i of rank r is global row r·n + i), as in the official code.
/// </summary>
public sealed class MocoV3 : ISslMethod
{
    private readonly MocoConfig _cfg;
    private readonly TrainingPlan _plan;
    private readonly EmaPair<MocoQueryEncoder, MocoEncoder> _pair;
    private readonly SdmpPart? _sdmp;
    private readonly DataParallel _dp;

    public MocoV3(RunConfig cfg, TrainingPlan plan, Device device, DataParallel? dp = null)
    {
        _dp = dp ?? DataParallel.Single;
        _cfg = cfg.Method.Mocov3;
        _plan = plan;
        var query = new MocoQueryEncoder(BuildEncoder(cfg), MocoMlp.Predictor(_cfg));
        var momentum = BuildEncoder(cfg);
        _pair = new EmaPair<MocoQueryEncoder, MocoEncoder>(query, momentum, device, new EmaRoles("mocov3", "query", "momentum", ProbeTargetByDefault: false),
            q => q.encoder.backbone, k => k.backbone, emaSource: query.encoder);
        Precision = ComputePrecision.Of(cfg.Training.PrecisionKind);
        ComputePrecision.Apply(_pair.Online, Precision);
        ComputePrecision.Apply(_pair.Target, Precision);
        _sdmp = SdmpPart.From(cfg.Sdmp, honoursViewSwap: true, _dp);
    }

    private static MocoEncoder BuildEncoder(RunConfig cfg)
    {
        var backbone = BackboneFactory.Create(cfg.Model, cfg.Augment.Views[0].CropSize);
        return new MocoEncoder(backbone, MocoMlp.Projector(cfg.Method.Mocov3, backbone.FeatureDim));
    }

    public string Name => "mocov3";
    /// <summary>training.precision of both encoders; the losses always see fp32.</summary>
    public ComputePrecision Precision { get; }
    public nn.Module Online => _pair.Online;
    public Backbone ProbeBackbone(string which = "default") => _pair.Backbone(which);

    public IReadOnlyDictionary<string, Tensor> StateTensors()
    {
        var d = new Dictionary<string, Tensor>();
        _pair.AddState(d);
        return d;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state) => _pair.LoadState(state);
    public void SetTraining(bool training) => _pair.SetTraining(training);

    /// <summary>m(e) = 1 - ½(1+cos(π·e/E))·(1-m0), e the fractional epoch; constant m0 when disabled.</summary>
    private double MomentumAt(StepContext ctx) => _cfg.MomentumCosine
        ? CosineSchedule.RisingToOne(ctx.EpochProgress, _plan.Epochs, _cfg.Momentum)
        : _cfg.Momentum;

    public StepResult Forward(IReadOnlyList<Tensor> views, StepContext ctx)
    {
        if (views.Count < 2) throw new UserInputException("mocov3 needs two augmented views (augment.views)");
        var tau = _cfg.Temperature;
        var m = MomentumAt(ctx);
        var scalars = new Dictionary<string, double> { ["momentum"] = m };

        if (_sdmp is null)
        {
            Tensor x1 = views[0], x2 = views[1];
            var q = QueryForward(cat([x1, x2]), 2).chunk(2);
            _pair.Update(m);
            var k = KeyForward(cat([x1, x2]), 2).chunk(2);
            var loss = MocoLoss.Symmetric(q[0], q[1], _dp.Gather(k[0]), _dp.Gather(k[1]), tau, _dp.Offset(x1.shape[0]));
            return new StepResult(loss, new Dictionary<string, Tensor> { ["loss_moco"] = loss }, scalars);
        }

        var s = _sdmp.Mix(views[0], views[1], ctx.Key);
        var qs = QueryForward(cat([s.View1, s.Mixed2]), 2).chunk(2);        // q1, q̃2
        _pair.Update(m);
        var ks = KeyForward(cat([s.View1, s.Mixed1, s.View2]), 3).chunk(3); // k1, k̃1, k2
        var terms = _sdmp.MocoTotal(qs[0], qs[1], _dp.Gather(ks[0]), _dp.Gather(ks[1]), _dp.Gather(ks[2]), s, tau);
        SdmpPart.AddScalars(scalars, s);
        return new StepResult(terms.Total, new Dictionary<string, Tensor>
        {
            ["loss_moco"] = terms.Moco, ["loss_source"] = terms.Source, ["loss_mix"] = terms.Mix,
        }, scalars);
    }

    private Tensor QueryForward(Tensor x, int chunks)
    {
        using var _ = BatchLayout.Scope(_pair.Online, chunks, _dp);
        return ComputePrecision.Float32(_pair.Online.call(x));
    }

    /// <summary>Keys need no autograd at all: inference mode skips its bookkeeping (cheaper than no_grad);
    /// the clone outside it makes the keys ordinary tensors the loss's backward may save.</summary>
    private Tensor KeyForward(Tensor x, int chunks)
    {
        Tensor keys;
        using (inference_mode())
        using (BatchLayout.Scope(_pair.Target, chunks, _dp))
            keys = ComputePrecision.Float32(_pair.Target.call(x));
        return keys.clone();
    }

    public void Dispose() => _pair.Dispose();
}
