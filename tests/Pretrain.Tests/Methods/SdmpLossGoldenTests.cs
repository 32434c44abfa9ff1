using Pretrain.Config;
using Pretrain.Methods.Losses;
using Pretrain.Mixing;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

/// <summary>
/// SDMP's MoCo terms against the golden files: *_v01_* = soft_ce, *_head_* = prob_mix. The golden
/// `loss` (and so grad_q_mix) carries the 0.5 weight; `loss_unhalved` is what SdmpLoss returns.
/// </summary>
public class SdmpLossGoldenTests
{
    public static IEnumerable<object[]> SourceFiles => GoldenFile.Named("sdmp_moco_source_");
    public static IEnumerable<object[]> MixFiles => GoldenFile.Named("sdmp_moco_mix_");
    public static IEnumerable<object[]> TotalFiles => GoldenFile.Named("sdmp_moco_total_");

    private static SdmpTarget TargetOf(string file) =>
        file.Contains("_head_") ? SdmpTarget.ProbMix : file.Contains("_v01_") ? SdmpTarget.SoftCe : throw new ArgumentException(file);

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void SourceTermMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var q = g.InputTensor("q_mix", requiresGrad: true);
        var k = g.InputTensor("k_src");
        var lam = g.InputTensor("lam");
        var tau = g.Param("T");
        var target = TargetOf(file);
        var (self, flip) = MixWeights.Source(lam);
        g.AssertExpected("w_self", self, 1e-7, 0);
        g.AssertExpected("w_flip", flip, 1e-7, 0);
        g.AssertExpected("per_sample_unhalved", SdmpLoss.PerSample(q, k, self, flip, tau, target));
        var term = SdmpLoss.Source(q, k, lam, tau, target);
        g.AssertExpected("loss_unhalved", term);
        var weighted = 0.5 * term;
        g.AssertExpected("loss", weighted);
        weighted.backward();
        g.AssertExpected("grad_q_mix", q.grad!);
    }

    [Theory]
    [MemberData(nameof(MixFiles))]
    public void MixTermMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var q = g.InputTensor("q_mix", requiresGrad: true);
        var k = g.InputTensor("k_mix");
        var lam = g.InputTensor("lam");
        var tau = g.Param("T");
        var target = TargetOf(file);
        g.AssertExpected("common", MixWeights.Common(lam), 1e-6, 1e-6);
        var (self, flip) = MixWeights.Mix(lam);
        g.AssertExpected("w_self", self, 1e-6, 1e-6);
        g.AssertExpected("w_flip", flip, 1e-6, 1e-6);
        g.AssertExpected("per_sample_unhalved", SdmpLoss.PerSample(q, k, self, flip, tau, target));
        var term = SdmpLoss.Mix(q, k, lam, tau, target);
        g.AssertExpected("loss_unhalved", term);
        var weighted = 0.5 * term;
        g.AssertExpected("loss", weighted);
        weighted.backward();
        g.AssertExpected("grad_q_mix", q.grad!);
    }

    [Theory]
    [MemberData(nameof(TotalFiles))]
    public void TotalMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var q1 = g.InputTensor("q1", requiresGrad: true);
        var q2 = g.InputTensor("q2_mix", requiresGrad: true);
        var terms = SdmpMocoLoss.Total(q1, q2, g.InputTensor("k1"), g.InputTensor("k1_mix"), g.InputTensor("k2"), g.InputTensor("lam"),
            g.Param("T"), TargetOf(file), weightSource: 0.5, weightMix: 0.5);
        g.AssertExpected("loss", terms.Total);
        g.AssertExpected("source_loss", terms.Moco);
        g.AssertExpected("mix_source_half", 0.5 * terms.Source);
        g.AssertExpected("mix_mix_half", 0.5 * terms.Mix);
        terms.Total.backward();
        g.AssertExpected("grad_q1", q1.grad!);
        g.AssertExpected("grad_q2_mix", q2.grad!);
    }
}
