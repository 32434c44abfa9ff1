using Pretrain.Methods.Losses;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

/// <summary>Plain DINO (also "SDMP off") and DINO + SDMP against the golden files: losses, new center, gradients.</summary>
public class DinoLossGoldenTests
{
    public static IEnumerable<object[]> DinoFiles => GoldenFile.Named("dino_loss_");
    public static IEnumerable<object[]> SdmpDinoFiles => GoldenFile.Named("sdmp_dino_");

    [Theory]
    [MemberData(nameof(DinoFiles))]
    public void DinoLossMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var student = g.InputTensor("student_output", requiresGrad: true);
        var teacher = g.InputTensor("teacher_output");
        Assert.Equal((long)g.Param("ncrops") * teacher.shape[0] / 2, student.shape[0]);
        using var center = new DinoCenter(g.InputTensor("center"), g.Param("center_momentum"));
        var loss = DinoLoss.Compute(student, teacher, center.Value, g.Param("student_temp"), g.Param("teacher_temp"));
        center.Update(teacher);
        g.AssertExpected("loss", loss);
        g.AssertExpected("new_center", center.Value);
        loss.backward();
        g.AssertExpected("grad_student_output", student.grad!);
    }

    [Theory]
    [MemberData(nameof(SdmpDinoFiles))]
    public void SdmpDinoLossMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var student = g.InputTensor("student_output", requiresGrad: true);
        var studentMix = g.InputTensor("student_mix_out", requiresGrad: true);
        var teacher = g.InputTensor("teacher_output");
        var lam = g.InputTensor("lam");
        using var center = new DinoCenter(g.InputTensor("center"), g.Param("center_momentum"));
        double ts = g.Param("student_temp"), tt = g.Param("teacher_temp");
        // Every golden case has src_crop 0 (the source term uses the teacher's first global crop), the only
        // crop the product uses.
        Assert.Equal(0, (int)g.Param("src_crop"));
        var terms = SdmpDinoLoss.Total(student, teacher, studentMix, g.InputTensor("teacher_mix_out"), center.Value, lam,
            ts, tt, g.Param("w_source"), g.Param("w_mix"));
        center.Update(teacher);

        g.AssertExpected("loss", terms.Total);
        g.AssertExpected("dino_loss", terms.Dino);
        g.AssertExpected("mix_source", terms.Source);
        g.AssertExpected("mix_mix", terms.Mix);
        g.AssertExpected("mix_source_weighted", g.Param("w_source") * terms.Source);
        g.AssertExpected("mix_mix_weighted", g.Param("w_mix") * terms.Mix);
        g.AssertExpected("common", Pretrain.Mixing.MixWeights.Common(lam), 1e-6, 1e-6);
        g.AssertExpected("new_center", center.Value);
        terms.Total.backward();
        g.AssertExpected("grad_student_output", student.grad!);
        g.AssertExpected("grad_student_mix_out", studentMix.grad!);
    }
}
