using Pretrain.Augment;
using Pretrain.Common;
using Pretrain.Config;
using Pretrain.Data;
using Xunit;

namespace Pretrain.Tests.Augment;

public class PhotometricParamsTests
{
    private static readonly ulong[] Keys = Enumerable.Range(0, 64).Select(i => KeyedRandom.Key(3, 1, i, 0)).ToArray();

    [Fact]
    public void SameKeysGiveIdenticalParameters()
    {
        var a = PhotometricParams.Draw(ViewConfig.MocoView2(), Keys);
        var b = PhotometricParams.Draw(ViewConfig.MocoView2(), Keys.ToArray());
        Assert.Equal(a.Jitter, b.Jitter);
        Assert.Equal(a.Brightness, b.Brightness);
        Assert.Equal(a.Contrast, b.Contrast);
        Assert.Equal(a.Saturation, b.Saturation);
        Assert.Equal(a.Hue, b.Hue);
        Assert.Equal(a.Sigma, b.Sigma);
        Assert.Equal(a.Grayscale, b.Grayscale);
        Assert.Equal(a.Blur, b.Blur);
        Assert.Equal(a.Solarize, b.Solarize);
        for (int i = 0; i < Keys.Length; i++) Assert.Equal(a.Order[i], b.Order[i]);
    }

    [Fact]
    public void ParametersDifferPerSampleAndDependOnlyOnTheSampleKey()
    {
        var p = PhotometricParams.Draw(ViewConfig.MocoView1(), Keys);
        Assert.Equal(Keys.Length, p.Brightness.Distinct().Count());
        Assert.Equal(Keys.Length, p.Hue.Distinct().Count());
        Assert.Equal(Keys.Length, p.Sigma.Distinct().Count());
        Assert.True(p.Order.Select(o => string.Join(",", o)).Distinct().Count() > 10);
        // A sample's draws do not depend on its position or neighbours in the batch.
        var alone = PhotometricParams.Draw(ViewConfig.MocoView1(), [Keys[17]]);
        Assert.Equal(p.Brightness[17], alone.Brightness[0]);
        Assert.Equal(p.Order[17], alone.Order[0]);
        Assert.Equal(p.Sigma[17], alone.Sigma[0]);
    }

    [Fact]
    public void DrawsFollowTheKeyedStreamTwoInItsDocumentedOrder()
    {
        var v = ViewConfig.MocoView2();
        var p = PhotometricParams.Draw(v, [Keys[5]]);
        var rng = new KeyedRandom(KeyedRandom.Key((long)Keys[5], 2));
        Assert.Equal(rng.Bernoulli(v.JitterP), p.Jitter[0]);
        Assert.Equal(rng.Permutation(4), p.Order[0]);
        Assert.Equal(rng.Uniform(0.6, 1.4), p.Brightness[0]);
        Assert.Equal(rng.Uniform(0.6, 1.4), p.Contrast[0]);
        Assert.Equal(rng.Uniform(0.8, 1.2), p.Saturation[0]);
        Assert.Equal(rng.Uniform(-0.1, 0.1), p.Hue[0]);
        Assert.Equal(rng.Bernoulli(v.GrayscaleP), p.Grayscale[0]);
        Assert.Equal(rng.Bernoulli(v.BlurP), p.Blur[0]);
        Assert.Equal(rng.Uniform(0.1, 2.0), p.Sigma[0]);
        Assert.Equal(rng.Bernoulli(v.SolarizeP), p.Solarize[0]);
    }

    [Fact]
    public void RangesAndProbabilitiesFollowTheViewConfig()
    {
        var keys = Enumerable.Range(0, 4000).Select(i => KeyedRandom.Key(9, i)).ToArray();
        var v = ViewConfig.MocoView2();
        var p = PhotometricParams.Draw(v, keys);
        Assert.All(p.Brightness, b => Assert.InRange(b, 0.6, 1.4));
        Assert.All(p.Saturation, s => Assert.InRange(s, 0.8, 1.2));
        Assert.All(p.Hue, h => Assert.InRange(h, -0.1, 0.1));
        Assert.All(p.Sigma, s => Assert.InRange(s, 0.1, 2.0));
        Assert.All(p.Order, o => Assert.Equal(new[] { 0, 1, 2, 3 }, o.Order()));
        Assert.InRange(p.Jitter.Count(j => j) / 4000.0, 0.77, 0.83);
        Assert.InRange(p.Grayscale.Count(j => j) / 4000.0, 0.17, 0.23);
        Assert.InRange(p.Blur.Count(j => j) / 4000.0, 0.08, 0.12);
        Assert.InRange(p.Solarize.Count(j => j) / 4000.0, 0.17, 0.23);
        Assert.Equal(2.0, p.SigmaMax);
        // Brightness 1.5 clips the lower end at 0, as torchvision's max(0, 1 − v).
        var wide = PhotometricParams.Draw(new ViewConfig { Brightness = 1.5 }, keys);
        Assert.All(wide.Brightness, b => Assert.InRange(b, 0.0, 2.5));
        Assert.Contains(wide.Brightness, b => b < 0.3);
    }
}
