using Pretrain.Config;
using Xunit;

namespace Pretrain.Tests.Config;

/// <summary>Settings whose default follows the method (issue: a DINO config that omits them must not get MoCo v3's).</summary>
public class MethodDefaultsTests
{
    static RunConfig Load(string yaml, params string[] overrides)
    {
        using var dir = new TempConfigDir();
        return ConfigLoader.Load(dir.Write("c.yaml", yaml), overrides);
    }

    [Fact]
    public void DinoConfigThatOmitsThemGetsDinosValues()
    {
        var c = Load("method:\n  name: dino\nmodel:\n  arch: vit_tiny\n");
        Assert.Equal(PositionEmbeddingKind.Learned, c.Model.PosEmbedKind);
        Assert.False(c.Model.StopGradPatchEmbed);
        Assert.False(c.Model.ZeroInitResidual);
        Assert.Equal(NoDecayRule.BiasAndNorm, c.Optimizer.NoDecayRule);
        Assert.Equal(["model.pos_embed=learned", "model.stop_grad_patch_embed=false", "model.zero_init_residual=false", "optimizer.no_decay=bias_and_norm"],
            c.AppliedDefaults);
    }

    [Fact]
    public void MocoConfigGetsMocosValues()
    {
        var c = Load("method:\n  name: mocov3\n");
        Assert.Equal(PositionEmbeddingKind.SinCos, c.Model.PosEmbedKind);
        Assert.True(c.Model.StopGradPatchEmbed);
        Assert.True(c.Model.ZeroInitResidual);
        Assert.Equal(NoDecayRule.None, c.Optimizer.NoDecayRule);
        var lars = Load("method:\n  name: mocov3\noptimizer:\n  name: lars\n");
        Assert.Equal(NoDecayRule.BiasAndNorm, lars.Optimizer.NoDecayRule);
        var sgd = Load("method:\n  name: dino\noptimizer:\n  name: sgd\n");
        Assert.Equal(NoDecayRule.BiasAndNorm, sgd.Optimizer.NoDecayRule);
    }

    [Fact]
    public void ExplicitValuesWinFromTheFileAndFromSet()
    {
        var c = Load("method:\n  name: dino\nmodel:\n  pos_embed: sincos\n  zero_init_residual: true\n", "model.stop_grad_patch_embed=true", "optimizer.no_decay=none");
        Assert.Equal(PositionEmbeddingKind.SinCos, c.Model.PosEmbedKind);
        Assert.True(c.Model.StopGradPatchEmbed);
        Assert.True(c.Model.ZeroInitResidual);
        Assert.Equal(NoDecayRule.None, c.Optimizer.NoDecayRule);
        Assert.Empty(c.AppliedDefaults);
    }

    [Fact]
    public void LarsWithoutTheNdimRuleIsRefusedNamingTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => Load("optimizer:\n  name: lars\n  no_decay: none\n"));
        Assert.Contains("optimizer.no_decay: LARS decays and adapts only parameters with ndim > 1", e.Message);
    }

    [Fact]
    public void ResolvedConfigRoundTripsUnchanged()
    {
        var c = Load("method:\n  name: dino\n");
        var again = Load(ConfigWriter.ToYaml(c));
        Assert.Equal(ConfigWriter.ToYaml(c), ConfigWriter.ToYaml(again));
        Assert.Empty(again.AppliedDefaults);
    }
}
