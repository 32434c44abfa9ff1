using System.Text.Json;
using Pretrain.Mixing;
using Xunit;

namespace Pretrain.Tests.Mixing;

/// <summary>
/// Every sub-case of sdmp_bbox.json: "head" = ResizeMix's official rule (centre range, never clipped,
/// λ from the nominal side), "v0.1" = CutMix's clipped box with λ from the clipped area.
/// Integers exact, λ to float32 precision.
/// </summary>
public class BoxGeometryGoldenTests
{
    public static IEnumerable<object[]> Cases()
    {
        var cases = GoldenFile.Load("sdmp_bbox.json").Root.GetProperty("cases").GetArrayLength();
        return Enumerable.Range(0, cases).Select(i => new object[] { i });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BoxMatchesGolden(int index)
    {
        var c = GoldenFile.Load("sdmp_bbox.json").Root.GetProperty("cases")[index];
        int h = c.GetProperty("H").GetInt32(), w = c.GetProperty("W").GetInt32();
        float lam = c.GetProperty("lam_mix_f32").GetSingle();
        int cy = c.GetProperty("cy").GetInt32(), cx = c.GetProperty("cx").GetInt32();
        int sideH = BoxSide.For(h, lam), sideW = BoxSide.For(w, lam);
        Assert.Equal(c.GetProperty("cut_h").GetInt32(), sideH);
        Assert.Equal(c.GetProperty("cut_w").GetInt32(), sideW);

        MixBox box;
        float lamEff;
        if (c.GetProperty("variant").GetString() == "head")
        {
            Assert.Equal(Pair(c, "center_range_y"), ResizeMixGeometry.CentreRange(h, sideH));
            Assert.Equal(Pair(c, "center_range_x"), ResizeMixGeometry.CentreRange(w, sideW));
            box = ResizeMixGeometry.Place(h, w, lam, cy, cx);
            lamEff = ResizeMixGeometry.Lambda(h, w, lam);
        }
        else
        {
            Assert.Equal((0, h), Pair(c, "center_range_y"));
            Assert.Equal((0, w), Pair(c, "center_range_x"));
            box = CutMixGeometry.Place(h, w, lam, cy, cx);
            lamEff = box.LambdaIn(h, w);
        }
        Assert.Equal(new MixBox(c.GetProperty("yl").GetInt32(), c.GetProperty("yh").GetInt32(), c.GetProperty("xl").GetInt32(), c.GetProperty("xh").GetInt32()), box);
        GoldenFile.AssertClose(c.GetProperty("lam_eff").GetDouble(), lamEff, 1e-7, 0, $"bbox case {index} lam_eff");
    }

    [Fact]
    public void LambdaSqueezeMatchesGoldenFloat32()
    {
        var g = GoldenFile.Load("sdmp_lambda.json");
        var u = g.Input("u_beta_f32").Data;
        var expected = g.Expected("lam_mix_f32").Data;
        for (int i = 0; i < u.Length; i++)
            Assert.Equal((float)expected[i], MixLambda.Squeeze((float)u[i], 0.1, 0.9));
    }

    private static (int, int) Pair(JsonElement c, string name)
    {
        var a = c.GetProperty(name);
        return (a[0].GetInt32(), a[1].GetInt32());
    }
}
