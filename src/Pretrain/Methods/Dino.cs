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
/// DINO (Caron et al. 2021) with optional SDMP (spec/sdmp.md §3): student = backbone (drop path) + head,
/// teacher = EMA of the student (cosine momentum per iteration), centred and sharpened teacher targets,
/// multi-crop (views 0 and 1 are the global crops, the rest local). The center is long-lived state,
/// updated from the clean teacher outputs only, with every term of a step using the center from before it.
/// </summary>
public sealed class Dino : ISslMethod
{
    private readonly DinoConfig _cfg;
    private readonly SdmpConfig _sdmp;
    private readonly TrainingPlan _plan;
    private readonly DinoNetwork _student;
    private readonly DinoNetwork _teacher;
    private readonly DinoCenter _center;
    private readonly SdmpMixer? _mixer;
    private readonly double[] _momentum;

    public Dino(RunConfig cfg, TrainingPlan plan, Device device)
    {
        _cfg = cfg.Method.Dino;
        _sdmp = cfg.Sdmp;
        _plan = plan;
        int imageSize = cfg.Augment.Views[0].CropSize;
        _student = Build(cfg.Model, imageSize, dropPath: cfg.Model.DropPath);
        _teacher = Build(cfg.Model, imageSize, dropPath: 0.0);
        _student.to(device);
        _teacher.to(device);
        MomentumUpdater.CopyInto(_student, _teacher);
        _center = new DinoCenter(_cfg.OutDim, _cfg.CenterMomentum, device);
        _mixer = cfg.Sdmp.Enabled ? new SdmpMixer(cfg.Sdmp) : null;
        _momentum = CosineSchedule.PerIteration(_cfg.MomentumTeacher, 1.0, plan.Epochs, plan.StepsPerEpoch);
    }

    private DinoNetwork Build(ModelConfig model, int imageSize, double dropPath)
    {
        var backbone = BackboneFactory.Create(model, imageSize, dropPath: dropPath);
        return new DinoNetwork(backbone, DinoHead.FromConfig(_cfg, backbone.FeatureDim));
    }

    public string Name => "dino";
    public nn.Module Online => _student;
    public DinoNetwork Student => _student;
    public DinoNetwork Teacher => _teacher;
    public DinoCenter Center => _center;

    /// <summary>Teacher EMA momentum used after optimizer step <paramref name="step"/> (cosine 0.996 → 1).</summary>
    public double TeacherMomentum(long step) =>
        _momentum.Length == 0 ? _cfg.MomentumTeacher : _momentum[Math.Min(step, _momentum.Length - 1)];

    public Backbone ProbeBackbone(string which = "default") => which switch
    {
        "default" or "teacher" or "momentum" => _teacher.backbone,
        "student" or "online" => _student.backbone,
        _ => throw new UserInputException($"unknown backbone '{which}' for dino (use teacher or student)"),
    };

    public IReadOnlyDictionary<string, Tensor> StateTensors()
    {
        var d = new Dictionary<string, Tensor>();
        ModuleTensors.AddTo(d, _student, "student.");
        ModuleTensors.AddTo(d, _teacher, "teacher.");
        d["center"] = _center.Value;
        return d;
    }

    public void LoadState(IReadOnlyDictionary<string, Tensor> state)
    {
        ModuleTensors.LoadInto(_student, state, "student.");
        ModuleTensors.LoadInto(_teacher, state, "teacher.");
        if (!state.TryGetValue("center", out var c)) throw new UserInputException("checkpoint has no DINO center");
        _center.Load(c);
    }

    public void SetTraining(bool training)
    {
        _student.train(training);
        _teacher.train(training);
    }

    public double TeacherTemperature(int epoch) =>
        DinoSchedule.TeacherTemperature(epoch, _cfg.WarmupTeacherTemp, _cfg.TeacherTemp, _cfg.WarmupTeacherTempEpochs);

    public StepResult Forward(IReadOnlyList<Tensor> views, StepContext ctx)
    {
        if (views.Count < 2) throw new UserInputException("dino needs at least two global crops (augment.views)");
        var tTemp = TeacherTemperature(ctx.Epoch);
        int b = (int)views[0].shape[0];
        Tensor g1 = views[0], g2 = views[1];
        var locals = views.Skip(2).ToArray();
        var center = _center.Value.detach().clone();   // every term uses the center from before this step
        var scalars = new Dictionary<string, double> { ["teacher_temp"] = tTemp, ["momentum"] = TeacherMomentum(ctx.Step) };

        MixResult? mix = _mixer?.Mix(g1, g2, KeyedRandom.Key((long)ctx.Key, 2));
        Tensor teacherOut, studentOut;
        using (no_grad())
            teacherOut = _teacher.Forward(mix is null ? [g1, g2] : [g1, g2, mix.Mixed1]);
        studentOut = _student.Forward(mix is null ? [g1, g2, .. locals] : [g1, g2, mix.Mixed2, .. locals]);

        var tClean = teacherOut.narrow(0, 0, 2 * b);
        var sClean = mix is null ? studentOut : cat([studentOut.narrow(0, 0, 2 * b), studentOut.narrow(0, 3 * b, studentOut.shape[0] - 3 * b)]);
        var lDino = DinoLoss.Compute(sClean, tClean, center, _cfg.StudentTemp, tTemp);
        var terms = new Dictionary<string, Tensor> { ["loss_dino"] = lDino };
        var total = lDino;
        if (mix is not null)
        {
            var (lSource, lMix) = SdmpDinoLoss.Compute(
                teacherG1: teacherOut.narrow(0, 0, b), teacherMixed1: teacherOut.narrow(0, 2 * b, b),
                studentMixed2: studentOut.narrow(0, 2 * b, b), center, mix.Lambda, _cfg.StudentTemp, tTemp);
            terms["loss_source"] = lSource;
            terms["loss_mix"] = lMix;
            total = lDino + _sdmp.WeightSource * lSource + _sdmp.WeightMix * lMix;
            scalars["sdmp_op"] = (int)mix.Op;
        }
        foreach (var (k, v) in CollapseDiagnostics.Compute(sClean.narrow(0, 0, 2 * b), tClean, center, _cfg.StudentTemp, tTemp))
            terms[k] = v;
        // A teacher that has collapsed to uniform makes L_dino = ln K: the ratio shows how far from that it is.
        terms["dino_loss_over_ln_k"] = lDino.detach() / Math.Log(_cfg.OutDim);
        _center.Update(tClean);
        return new StepResult(total, terms, scalars);
    }

    public string? Warning(IReadOnlyDictionary<string, double> logged) =>
        CollapseDiagnostics.Warning(logged, _cfg.OutDim, _cfg.CollapseEntropyRatio);

    /// <summary>DINO cancels the last layer's gradients during the first freeze_last_layer epochs.</summary>
    public void BeforeOptimizerStep(StepContext ctx)
    {
        if (ctx.Epoch >= _cfg.FreezeLastLayer) return;
        foreach (var p in _student.head.LastLayerParameters) p.grad = null;
    }

    public void AfterOptimizerStep(StepContext ctx) =>
        MomentumUpdater.Update(_student, _teacher, TeacherMomentum(ctx.Step));

    public void Dispose()
    {
        _student.Dispose();
        _teacher.Dispose();
        _center.Dispose();
    }
}
