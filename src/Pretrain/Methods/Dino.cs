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
/// DINO (Caron et al. 2021) with optional SDMP (docs/sdmp.md §3): student = backbone (drop path) + head,
/// teacher = EMA of the student (cosine momentum per iteration), centred and sharpened teacher targets,
/// multi-crop (views 0 and 1 are the global crops, the rest local). The center is long-lived state,
/// updated from the clean teacher outputs only, with every term of a step using the center from before it.
/// Data-parallel: the center is updated from the mean over every rank's teacher outputs and BatchNorm
/// statistics (ResNet backbones, BN heads) span the ranks, as in the official code.
/// </summary>
public sealed class Dino : ISslMethod
{
    private readonly DinoConfig _cfg;
    private readonly EmaPair<DinoNetwork, DinoNetwork> _pair;
    private readonly DinoCenter _center;
    private readonly SdmpPart? _sdmp;
    private readonly double[] _momentum;
    private readonly double[] _teacherTemp;
    private readonly DataParallel _dp;

    public Dino(RunConfig cfg, TrainingPlan plan, Device device, DataParallel? dp = null)
    {
        _dp = dp ?? DataParallel.Single;
        _cfg = cfg.Method.Dino;
        int imageSize = cfg.Augment.Views[0].CropSize;
        var student = Build(cfg.Model, imageSize, dropPath: cfg.Model.DropPath);
        var teacher = Build(cfg.Model, imageSize, dropPath: 0.0);
        _pair = new EmaPair<DinoNetwork, DinoNetwork>(student, teacher, device, new EmaRoles("dino", "student", "teacher", ProbeTargetByDefault: true),
            s => s.backbone, t => t.backbone);
        Precision = ComputePrecision.Of(cfg.Training.PrecisionKind);
        ComputePrecision.Apply(_pair.Online, Precision);
        ComputePrecision.Apply(_pair.Target, Precision);
        _center = new DinoCenter(_cfg.OutDim, _cfg.CenterMomentum, device);
        _sdmp = SdmpPart.From(cfg.Sdmp, honoursViewSwap: false, _dp);
        _momentum = CosineSchedule.PerIteration(_cfg.MomentumTeacher, 1.0, plan.Epochs, plan.StepsPerEpoch);
        _teacherTemp = WarmupThenConstant.PerEpoch(_cfg.WarmupTeacherTemp, _cfg.TeacherTemp, _cfg.WarmupTeacherTempEpochs, plan.Epochs);
    }

    private DinoNetwork Build(ModelConfig model, int imageSize, double dropPath)
    {
        var backbone = BackboneFactory.Create(model, imageSize, dropPath: dropPath);
        return new DinoNetwork(backbone, DinoHead.FromConfig(_cfg, backbone.FeatureDim));
    }

    public string Name => "dino";
    /// <summary>training.precision of student and teacher; the losses and the center always see fp32.</summary>
    public ComputePrecision Precision { get; }
    public nn.Module Online => _pair.Online;
    public DinoNetwork Student => _pair.Online;
    public DinoNetwork Teacher => _pair.Target;
    public DinoCenter Center => _center;

    /// <summary>Teacher EMA momentum used after optimizer step <paramref name="step"/> (cosine 0.996 → 1).</summary>
    public double TeacherMomentum(long step) =>
        _momentum.Length == 0 ? _cfg.MomentumTeacher : _momentum[Math.Min(step, _momentum.Length - 1)];

    /// <summary>Teacher temperature of an epoch (warmup linspace, then constant).</summary>
    public double TeacherTemperature(int epoch) => _teacherTemp[Math.Min(epoch, _teacherTemp.Length - 1)];

    public Backbone ProbeBackbone(string which = "default") => _pair.Backbone(which);

    public IReadOnlyDictionary<string, Tensor> StateTensors()
    {
        var d = new Dictionary<string, Tensor>();
        _pair.AddState(d);
        d["center"] = _center.Value;
        return d;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        _pair.LoadState(state);
        if (!state.TryGetValue("center", out var c)) throw new UserInputException("checkpoint has no DINO center");
        _center.Load(c);
    }

    public void SetTraining(bool training) => _pair.SetTraining(training);

    public StepResult Forward(IReadOnlyList<Tensor> views, StepContext ctx)
    {
        if (views.Count < 2) throw new UserInputException("dino needs at least two global crops (augment.views)");
        var tTemp = TeacherTemperature(ctx.Epoch);
        int b = (int)views[0].shape[0];
        Tensor g1 = views[0], g2 = views[1];
        var locals = views.Skip(2).ToArray();
        var center = _center.Value.detach().clone();   // every term uses the center from before this step
        var scalars = new Dictionary<string, double> { ["teacher_temp"] = tTemp, ["momentum"] = TeacherMomentum(ctx.Step) };

        var mix = _sdmp?.Mix(g1, g2, ctx.Key);
        Tensor teacherOut, studentOut;
        using (no_grad())
            teacherOut = Teacher.Forward(mix is null ? [g1, g2] : [g1, g2, mix.Mixed1], _dp);
        studentOut = Student.Forward(mix is null ? [g1, g2, .. locals] : [g1, g2, mix.Mixed2, .. locals], _dp);

        var tClean = teacherOut.narrow(0, 0, 2 * b);
        var sClean = mix is null ? studentOut : cat([studentOut.narrow(0, 0, 2 * b), studentOut.narrow(0, 3 * b, studentOut.shape[0] - 3 * b)]);
        Tensor lDino, total;
        var terms = new Dictionary<string, Tensor>();
        if (mix is null)
        {
            lDino = total = DinoLoss.Compute(sClean, tClean, center, _cfg.StudentTemp, tTemp);
            terms["loss_dino"] = lDino;
        }
        else
        {
            var sdmp = _sdmp!.DinoTotal(sClean, tClean, studentMixed2: studentOut.narrow(0, 2 * b, b),
                teacherG1: tClean.narrow(0, 0, b), teacherMixed1: teacherOut.narrow(0, 2 * b, b), center, mix, _cfg.StudentTemp, tTemp);
            (lDino, total) = (sdmp.Dino, sdmp.Total);
            terms["loss_dino"] = lDino;
            terms["loss_source"] = sdmp.Source;
            terms["loss_mix"] = sdmp.Mix;
            SdmpPart.AddScalars(scalars, mix);
        }
        foreach (var (k, v) in CollapseDiagnostics.Compute(sClean.narrow(0, 0, 2 * b), tClean, center, _cfg.StudentTemp, tTemp))
            terms[k] = v;
        // A teacher that has collapsed to uniform makes L_dino = ln K: the ratio shows how far from that it is.
        terms["dino_loss_over_ln_k"] = lDino.detach() / Math.Log(_cfg.OutDim);
        _center.Update(tClean, _dp);
        return new StepResult(total, terms, scalars);
    }

    public string? Warning(IReadOnlyDictionary<string, double> logged) =>
        CollapseDiagnostics.Warning(logged, _cfg.OutDim, _cfg.CollapseEntropyRatio);

    /// <summary>DINO cancels the last layer's gradients during the first freeze_last_layer epochs.</summary>
    public void BeforeOptimizerStep(StepContext ctx)
    {
        if (ctx.Epoch >= _cfg.FreezeLastLayer) return;
        foreach (var p in Student.head.LastLayerParameters) p.grad = null;
    }

    public void AfterOptimizerStep(StepContext ctx) => _pair.Update(TeacherMomentum(ctx.Step));

    public void Dispose()
    {
        _pair.Dispose();
        _center.Dispose();
    }
}
