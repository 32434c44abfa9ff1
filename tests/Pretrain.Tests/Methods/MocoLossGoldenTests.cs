using Pretrain.Methods.Losses;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

/// <summary>Plain MoCo v3 InfoNCE (x 2τ) and its symmetric form — also "SDMP off" — against the golden files.</summary>
public class MocoLossGoldenTests
{
    public static IEnumerable<object[]> ContrastiveFiles => GoldenFile.Named("moco_contrastive_");
    public static IEnumerable<object[]> SymmetricFiles => GoldenFile.Named("moco_v3_symmetric_");

    [Theory]
    [MemberData(nameof(ContrastiveFiles))]
    public void ContrastiveMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var q = g.InputTensor("q", requiresGrad: true);
        var k = g.InputTensor("k");
        var tau = g.Param("T");
        g.AssertExpected("per_sample", MocoLoss.PerSample(q, k, tau));
        var loss = MocoLoss.Contrastive(q, k, tau);
        g.AssertExpected("loss", loss);
        loss.backward();
        g.AssertExpected("grad_q", q.grad!);
    }

    [Theory]
    [MemberData(nameof(SymmetricFiles))]
    public void SymmetricMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var q1 = g.InputTensor("q1", requiresGrad: true);
        var q2 = g.InputTensor("q2", requiresGrad: true);
        var loss = MocoLoss.Symmetric(q1, q2, g.InputTensor("k1"), g.InputTensor("k2"), g.Param("T"));
        g.AssertExpected("loss", loss);
        loss.backward();
        g.AssertExpected("grad_q1", q1.grad!);
        g.AssertExpected("grad_q2", q2.grad!);
    }
}
