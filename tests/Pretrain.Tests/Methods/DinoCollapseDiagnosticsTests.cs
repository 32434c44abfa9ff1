using Pretrain.Methods;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

public class DinoCollapseDiagnosticsTests
{
    private static double Item(Tensor t) => t.to(ScalarType.Float64).item<double>();

    [Fact]
    public void UniformTeacherHasEntropyLnKAndZeroKlAgainstAUniformStudent()
    {
        using var scope = NewDisposeScope();
        var outputs = randn(6, 16);
        // Each row equal across dimensions: the centred teacher and the student are both uniform.
        var flat = outputs.narrow(1, 0, 1).expand(6, 16).contiguous();
        var d = CollapseDiagnostics.Compute(flat, flat, zeros(1, 16), 0.1, 0.04);
        Assert.Equal(Math.Log(16), Item(d["teacher_entropy"]), 5);
        Assert.Equal(0.0, Item(d["kl_teacher_student"]), 5);
    }

    [Fact]
    public void OneDominantDimensionGivesEntropyNearZeroAndKlAgainstAUniformStudentNearLnK()
    {
        using var scope = NewDisposeScope();
        var teacher = zeros(4, 8);
        teacher.index_fill_(1, tensor(new long[] { 3 }), 1.0);   // logit 1/0.04 = 25 on dimension 3
        var d = CollapseDiagnostics.Compute(zeros(4, 8), teacher, zeros(1, 8), 0.1, 0.04);
        // p = e^25 / (e^25 + 7): H ≈ 7·e^-25·(25 + 1), KL(t ‖ uniform) = ln 8 - H.
        Assert.Equal(0.0, Item(d["teacher_entropy"]), 6);
        Assert.Equal(Math.Log(8), Item(d["kl_teacher_student"]), 5);
    }

    [Fact]
    public void WarnsOnBothCollapseModesAndNotOnAHealthyRun()
    {
        double lnK = Math.Log(4096);
        string? Warn(double h, double kl) => CollapseDiagnostics.Warning(
            new Dictionary<string, double> { ["teacher_entropy"] = h, ["kl_teacher_student"] = kl, ["loss_dino"] = lnK }, 4096, 0.05);
        Assert.Contains("one dimension dominates", Warn(0.04 * lnK, 3.0));
        Assert.Contains("uniform", Warn(0.992 * lnK, 0.012));          // the plateau of the recipe run in the README
        Assert.Null(Warn(7.34, 0.66));                                  // the BN-head run at step 10
        Assert.Null(Warn(0.992 * lnK, 0.2));                            // near uniform but the student still disagrees
        Assert.Null(CollapseDiagnostics.Warning(new Dictionary<string, double>(), 4096, 0.05));
    }
}
