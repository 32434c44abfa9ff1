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
