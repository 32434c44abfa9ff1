using Pretrain.Common;
using Pretrain.Data;
using Pretrain.Methods.Losses;
using Pretrain.Methods;
using Pretrain.Mixing;
using Pretrain.Schedules;
using Pretrain.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

/// <summary>
/// One DINO step on fixed crops, in eval mode (no drop path) and straight after construction, when the
/// teacher is an exact copy of the student: every loss term then has a closed form in the student's outputs.
/// </summary>
[Collection(TorchGlobalState.Name)]
public class DinoSdmpTermsTests
{
    private static readonly StepContext Ctx = new(Step: 0, Epoch: 0, EpochProgress: 0, Key: KeyedRandom.Key(5, 0, 0x5743));

    private static Dino Build(bool sdmp)
    {
        var cfg = DinoTinyRun.Config(sdmp);
        manual_seed(21);
        var dino = new Dino(cfg, TrainingPlan.From(cfg.Training, 6), CPU);
        dino.SetTraining(false);
        return dino;
    }

    private static double Item(Tensor t) => t.to(ScalarType.Float64).item<double>();

    [Fact]
    public void SdmpOffGivesExactlyThePlainDinoLoss()
    {
        using var scope = NewDisposeScope();
        var crops = DinoTinyRun.RandomCrops();
        long b = crops[0].shape[0];
        using var dino = Build(sdmp: false);
        Tensor outputs;
        using (no_grad()) outputs = dino.Student.Forward(crops);
        var teacherOut = outputs.narrow(0, 0, 2 * b);      // teacher = student at initialisation
        var center0 = zeros(1, 64);
        var expected = DinoLoss.Compute(outputs, teacherOut, center0, 0.1, 0.04);

        var r = dino.Forward(crops, Ctx);

        Assert.Equal(["dino_loss_over_ln_k", "kl_teacher_student", "loss_dino", "teacher_entropy"], r.Terms.Keys.OrderBy(k => k));
        Assert.False(r.Scalars.ContainsKey("sdmp_op"));
        Assert.Equal(Item(r.Terms["loss_dino"]), Item(r.Loss));
        Assert.Equal(Item(expected), Item(r.Loss), 5);
        Assert.Equal(Item(expected) / Math.Log(64), Item(r.Terms["dino_loss_over_ln_k"]), 5);
        Assert.Equal(0.04, r.Scalars["teacher_temp"]);
        // c ← 0.9·0 + 0.1·mean of the two clean global teacher outputs.
        Models.TensorAssert.Close(teacherOut.mean([0], keepdim: true) * 0.1, dino.Center.Value, 1e-6, "center after the step");
        Assert.True(r.Loss.requires_grad);
    }

    [Fact]
    public void SdmpOnAddsWeightedSourceAndMixTermsAndCentresOnCleanTeacherOutputsOnly()
    {
        using var scope = NewDisposeScope();
        var crops = DinoTinyRun.RandomCrops();
        long b = crops[0].shape[0];
        using var dino = Build(sdmp: true);
        var mix = new SdmpMixer(DinoTinyRun.Config(sdmp: true).Sdmp).Mix(crops[0], crops[1], KeyedRandom.Key((long)Ctx.Key, 2));
        Tensor clean, mixed2, mixed1;
        using (no_grad())
        {
            clean = dino.Student.Forward(crops);
            mixed2 = dino.Student.Forward([mix.Mixed2]);
            mixed1 = dino.Student.Forward([mix.Mixed1]);
        }
        var center0 = zeros(1, 64);
        var expected = SdmpDinoLoss.Total(clean, clean.narrow(0, 0, 2 * b), mixed2, mixed1, center0, mix.Lambda,
            0.1, 0.04, weightSource: 0.5, weightMix: 0.5);

        var r = dino.Forward(crops, Ctx);

        Assert.Equal(["dino_loss_over_ln_k", "kl_teacher_student", "loss_dino", "loss_mix", "loss_source", "teacher_entropy"], r.Terms.Keys.OrderBy(k => k));
        Assert.Equal((double)(int)mix.Op, r.Scalars["sdmp_op"]);
        Assert.Equal(Item(expected.Dino), Item(r.Terms["loss_dino"]), 5);
        Assert.Equal(Item(expected.Source), Item(r.Terms["loss_source"]), 5);
        Assert.Equal(Item(expected.Mix), Item(r.Terms["loss_mix"]), 5);
        Assert.Equal(Item(expected.Total), Item(r.Loss), 5);
        Assert.Equal(Item(r.Terms["loss_dino"]) + 0.5 * Item(r.Terms["loss_source"]) + 0.5 * Item(r.Terms["loss_mix"]), Item(r.Loss), 5);
        // The mixed teacher view g̃1 must not move the center.
        Models.TensorAssert.Close(clean.narrow(0, 0, 2 * b).mean([0], keepdim: true) * 0.1, dino.Center.Value, 1e-6, "center after the step");
    }
}
