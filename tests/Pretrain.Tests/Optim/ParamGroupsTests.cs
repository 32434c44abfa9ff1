using Pretrain.Config;
using Pretrain.Models;
using Pretrain.Optim;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Optim;

public class ParamGroupsTests
{
    [Fact]
    public void BiasesAndOneDimensionalParamsSkipDecayAndFrozenOnesAreLeftOut()
    {
        const int depth = 2;
        var vit = new VisionTransformer(new VitSettings(16, 4, 32, depth, 4, PosEmbed: PositionEmbeddingKind.Learned, StopGradPatchEmbed: true));
        var (decay, noDecay) = ParamGroups.Split(vit);
        // decay: 4 Linear weights per block + cls_token + pos_embed
        Assert.Equal(4 * depth + 2, decay.Count);
        // no decay: per block 2 LayerNorms (weight, bias) + 4 Linear biases; final norm weight and bias
        Assert.Equal(depth * (4 + 4) + 2, noDecay.Count);
        Assert.All(decay, p => Assert.True(p.ndim > 1));
        Assert.All(noDecay, p => Assert.Equal(1, p.ndim));
        long grouped = decay.Concat(noDecay).Sum(p => p.numel());
        long patch = 3 * 4 * 4 * 32 + 32;
        Assert.Equal(vit.parameters().Sum(p => p.numel()) - patch, grouped);
    }

    [Fact]
    public void FrozenWeightNormGainIsExcluded()
    {
        var head = new DinoHead(8, 12, 16, 4, normLastLayer: true);
        var (decay, noDecay) = ParamGroups.Split(head);
        Assert.Contains(head.LastLayer.WeightV, decay);
        Assert.DoesNotContain(head.LastLayer.WeightG, decay);
        Assert.DoesNotContain(head.LastLayer.WeightG, noDecay);
        Assert.Equal(3, noDecay.Count);
    }
}

/// <summary>The weight-decay groups each method's recipe builds, through the product's composition root.</summary>
public class ParamGroupsPerMethodTests
{
    static IReadOnlyList<ParamGroup> GroupsFor(string method, string optimizer)
    {
        using var dir = new Pretrain.Tests.Config.TempConfigDir();
        var cfg = ConfigLoader.Load(dir.Write("c.yaml", $"method:\n  name: {method}\noptimizer:\n  name: {optimizer}\nmodel:\n  arch: vit\n  embed_dim: 16\n  depth: 1\n  num_heads: 2\n  patch_size: 8\n"));
        var vit = new VisionTransformer(new VitSettings(32, 8, 16, 1, 2, PosEmbed: cfg.Model.PosEmbedKind, StopGradPatchEmbed: cfg.Model.StopGradPatchEmbed));
        return ParamGroups.For(vit, MethodDefaults.NoDecay(cfg));
    }

    static (double Decay, double NoDecay) StepWithDecay(IReadOnlyList<ParamGroup> groups)
    {
        // One AdamW step with zero gradients: only weight decay moves a parameter (p *= 1 - lr·wd).
        using var opt = new AdamW(groups);
        var w = groups[0].Params[0];
        var b = groups[1].Params[0];
        using (no_grad()) { w.fill_(1.0f); b.fill_(1.0f); }
        foreach (var p in groups.SelectMany(g => g.Params)) p.grad = zeros_like(p);
        opt.Step(lr: 0.5, weightDecay: 0.2);
        return (w.mean().item<float>(), b.mean().item<float>());
    }

    [Fact]
    public void MocoV3WithAdamWDecaysEveryParameter()
    {
        var groups = GroupsFor("mocov3", "adamw");
        Assert.True(groups[0].ApplyWeightDecay);
        Assert.True(groups[1].ApplyWeightDecay);
        Assert.False(groups[1].LarsAdapt);
        var (w, b) = StepWithDecay(groups);
        Assert.Equal(0.9, w, 6);
        Assert.Equal(0.9, b, 6);
    }

    [Fact]
    public void DinoSkipsBiasesAndNorms()
    {
        var groups = GroupsFor("dino", "adamw");
        Assert.True(groups[0].ApplyWeightDecay);
        Assert.False(groups[1].ApplyWeightDecay);
        Assert.All(groups[1].Params, p => Assert.Equal(1, p.ndim));
        // DINO learns its patch projection: its weight is in the decay group.
        Assert.Equal(4 + 3, groups[0].Params.Count); // 4 block Linears, patch conv, cls_token, pos_embed
        var (w, b) = StepWithDecay(groups);
        Assert.Equal(0.9, w, 6);
        Assert.Equal(1.0, b, 6);
    }

    [Fact]
    public void LarsKeepsItsNdimRuleForEitherMethod()
    {
        foreach (var method in new[] { "mocov3", "dino" })
        {
            var groups = GroupsFor(method, "lars");
            Assert.True(groups[0].ApplyWeightDecay && groups[0].LarsAdapt);
            Assert.False(groups[1].ApplyWeightDecay || groups[1].LarsAdapt);
        }
    }
}
