using Pretrain.Mixing;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Mixing;

/// <summary>Mixup, CutMix and ResizeMix against every golden op file (mixed images to 1e-5 absolute).</summary>
public class MixOpGoldenTests
{
    public static IEnumerable<object[]> MixupFiles => GoldenFile.Named("mixup_");
    public static IEnumerable<object[]> CutMixFiles => GoldenFile.Named("cutmix_");
    public static IEnumerable<object[]> ResizeMixFiles => GoldenFile.Named("resizemix_");

    [Theory]
    [MemberData(nameof(MixupFiles))]
    public void MixupMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var x = g.InputTensor("x");
        var lam = g.InputTensor("lam");
        g.AssertExpected("x_mix", Mixup.Apply(x, lam), atol: 1e-5, rtol: 0);
        var perSample = lam.dim() == 0 ? lam.expand(x.shape[0]) : lam;
        g.AssertExpected("lam_per_sample", perSample, atol: 1e-7, rtol: 0);
    }

    [Theory]
    [MemberData(nameof(CutMixFiles))]
    public void CutMixMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var x = g.InputTensor("x");
        var boxes = Boxes(g);
        g.AssertExpected("x_mix", CutMix.Apply(x, boxes), atol: 1e-5, rtol: 0);
        g.AssertExpected("lam_eff", MixBox.LambdaTensor(boxes, (int)x.shape[2], (int)x.shape[3], x.device), atol: 1e-7, rtol: 0);
    }

    [Theory]
    [MemberData(nameof(ResizeMixFiles))]
    public void ResizeMixMatchesGolden(string file)
    {
        using var scope = NewDisposeScope();
        var g = GoldenFile.Load(file);
        var x = g.InputTensor("x");
        var boxes = Boxes(g);
        g.AssertExpected("x_mix", ResizeMix.Apply(x, boxes), atol: 1e-5, rtol: 0);
        g.AssertExpected("lam_eff", MixBox.LambdaTensor(boxes, (int)x.shape[2], (int)x.shape[3], x.device), atol: 1e-7, rtol: 0);
    }

    private static MixBox[] Boxes(GoldenFile g) =>
        g.Params.GetProperty("boxes_yl_yh_xl_xh").EnumerateArray()
            .Select(b => b.EnumerateArray().Select(v => v.GetInt32()).ToArray())
            .Select(b => new MixBox(b[0], b[1], b[2], b[3]))
            .ToArray();
}
