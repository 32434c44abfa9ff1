using Pretrain.Config;
using Pretrain.Models;
using TorchSharp.Modules;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Models;

public class VisionTransformerTests
{
    private static VisionTransformer Tiny(PositionEmbeddingKind pos, bool stopGrad = false, double dropPath = 0.0, int dim = 32, int depth = 2) =>
        new(new VitSettings(16, 4, dim, depth, 4, 4.0, true, dropPath, pos, stopGrad));

    private static Parameter Param(nn.Module m, string name) => m.named_parameters().Single(p => p.name == name).parameter;

    [Theory]
    [InlineData(PositionEmbeddingKind.SinCos)]
    [InlineData(PositionEmbeddingKind.Learned)]
    public void ForwardGivesClsFeatureAndLastBlockTokensAgree(PositionEmbeddingKind pos)
    {
        manual_seed(0);
        var vit = Tiny(pos, depth: 3);
        vit.eval();
        var x = randn(2, 3, 16, 16);
        var feature = vit.forward(x);
        Assert.Equal(new long[] { 2, 32 }, feature.shape);
        Assert.Equal(32, vit.FeatureDim);

        var tokens = vit.LastBlockTokens(x, 2);
        Assert.Equal(2, tokens.Cls.Length);
        Assert.All(tokens.Cls, c => Assert.Equal(new long[] { 2, 32 }, c.shape));
        Assert.Equal(new long[] { 2, 32 }, tokens.PatchMean!.shape);
        TensorAssert.Close(feature, tokens.Cls[^1], 1e-6, "last CLS equals forward");
        Assert.True(TensorAssert.MaxAbsDiff(tokens.Cls[0], tokens.Cls[1]) > 1e-3);
    }

    [Fact]
    public void LastBlockTokensWithoutThePatchMeanGiveTheSameClsTokens()
    {
        // DINO's linear protocol without avgpool reads CLS tokens only: the last block then runs its CLS
        // row only and the earlier blocks' CLS rows go through the final norm alone (it is per token).
        manual_seed(5);
        var vit = Tiny(PositionEmbeddingKind.Learned, depth: 4);
        vit.eval();
        var x = randn(3, 3, 16, 16);
        var full = vit.LastBlockTokens(x, 3);
        var cls = vit.LastBlockTokens(x, 3, patchMean: false);
        Assert.Null(cls.PatchMean);
        Assert.NotNull(full.PatchMean);
        Assert.Equal(3, cls.Cls.Length);
        for (int i = 0; i < 2; i++)
            Assert.True(TensorAssert.MaxAbsDiff(full.Cls[i], cls.Cls[i]) <= 1e-6, $"block {i + 1}: {TensorAssert.MaxAbsDiff(full.Cls[i], cls.Cls[i]):g}");
        TensorAssert.Close(full.Cls[2], cls.Cls[2], 1e-5, "last block's CLS from its CLS row only");
        TensorAssert.Close(vit.forward(x), cls.Cls[2], 1e-6, "and equal to forward");
        Assert.True(TensorAssert.MaxAbsDiff(cls.Cls[0], cls.Cls[2]) > 1e-3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClsOnlyLastBlockGivesTheFullNetworksFeatureAndGradients(bool bf16)
    {
        // forward runs the last block for the CLS row only; LastBlockTokens runs it on every token.
        // In training mode with drop path (same draws: masks are [B, 1, 1] either way) the feature and
        // every parameter's gradient must agree.
        manual_seed(3);
        var vit = Tiny(PositionEmbeddingKind.Learned, dropPath: 0.3, depth: 3);
        if (bf16) ComputePrecision.Apply(vit, ComputePrecision.Bf16);
        vit.train();
        var x = randn(4, 3, 16, 16);
        var target = randn(4, 32);

        Tensor[] Grads(Func<Tensor> feature)
        {
            vit.zero_grad();
            manual_seed(11);
            var f = feature();
            (f * target).sum().backward();
            return [f.detach().clone(), .. vit.parameters().Select(p => p.grad!.clone())];
        }
        var fast = Grads(() => vit.forward(x));
        var full = Grads(() => vit.LastBlockTokens(x, 1).Cls[0]);
        Assert.Equal(full.Length, fast.Length);
        double tol = bf16 ? 2e-2 : 1e-5;
        for (int i = 0; i < full.Length; i++)
        {
            double scale = Math.Max(full[i].abs().max().item<float>(), 1e-12);
            Assert.True(TensorAssert.MaxAbsDiff(fast[i], full[i]) <= tol * scale,
                $"tensor {i}: max diff {TensorAssert.MaxAbsDiff(fast[i], full[i]):g} vs scale {scale:g}");
        }
        // the last block's query / projection / MLP parameters do get gradients through the CLS row
        var fc2 = vit.named_parameters().Single(p => p.name == "blocks.2.mlp.fc2.weight").parameter;
        Assert.True(fc2.grad!.abs().max().item<float>() > 0);
    }

    [Theory]
    [InlineData(PositionEmbeddingKind.SinCos)]
    [InlineData(PositionEmbeddingKind.Learned)]
    public void SmallerInputsUseAPositionTableForTheirGrid(PositionEmbeddingKind pos)
    {
        var vit = Tiny(pos);
        var local = vit.forward(randn(3, 3, 8, 8));
        Assert.Equal(new long[] { 3, 32 }, local.shape);
        Assert.False(local.isnan().any().item<bool>());
    }

    [Fact]
    public void SinCosTableIsABufferNotAParameterAndMatchesTheGrid()
    {
        var vit = Tiny(PositionEmbeddingKind.SinCos);
        Assert.DoesNotContain(vit.named_parameters(), p => p.name == "pos_embed");
        Assert.Equal(new long[] { 1, 17, 32 }, vit.PosEmbed.shape);
        TensorAssert.Close(PositionEmbedding.SinCos2d(4, 4, 32), vit.PosEmbed, 0, "pos buffer");
        Assert.Equal(0.0f, vit.PosEmbed[0, 0].abs().max().item<float>());
    }

    [Fact]
    public void StopGradPatchEmbedFreezesTheProjection()
    {
        var vit = Tiny(PositionEmbeddingKind.SinCos, stopGrad: true);
        var weight = Param(vit, "patch_embed.weight");
        var bias = Param(vit, "patch_embed.bias");
        Assert.False(weight.requires_grad);
        Assert.False(bias.requires_grad);
        vit.forward(randn(2, 3, 16, 16)).pow(2).sum().backward();
        Assert.Null(weight.grad);
        Assert.Null(bias.grad);
        Assert.NotNull(vit.ClsToken.grad);
        Assert.NotNull(Param(vit, "blocks.0.attn.qkv.weight").grad);
    }

    [Fact]
    public void MocoInitialisationUsesTheDocumentedBounds()
    {
        manual_seed(3);
        const int dim = 64;
        var vit = Tiny(PositionEmbeddingKind.SinCos, dim: dim);
        double AbsMax(string name) => Param(vit, name).abs().max().item<float>();

        // Q, K and V treated as three dim×dim matrices: bound sqrt(6 / (dim + dim)).
        double qkvBound = Math.Sqrt(6.0 / (dim + dim));
        Assert.InRange(AbsMax("blocks.0.attn.qkv.weight"), 0.95 * qkvBound, qkvBound);
        double projBound = Math.Sqrt(6.0 / (dim + dim));
        Assert.InRange(AbsMax("blocks.1.attn.proj.weight"), 0.95 * projBound, projBound);
        double fcBound = Math.Sqrt(6.0 / (dim + 4 * dim));
        Assert.InRange(AbsMax("blocks.0.mlp.fc1.weight"), 0.95 * fcBound, fcBound);
        double patchBound = Math.Sqrt(6.0 / (3 * 4 * 4 + dim));
        Assert.InRange(AbsMax("patch_embed.weight"), 0.95 * patchBound, patchBound);
        Assert.InRange(AbsMax("cls_token"), 1e-9, 1e-5);
        foreach (var name in new[] { "patch_embed.bias", "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.bias", "blocks.1.mlp.fc2.bias", "norm.bias" })
            Assert.Equal(0.0, AbsMax(name));
        Assert.Equal(1.0f, Param(vit, "blocks.0.norm1.weight").min().item<float>());
        Assert.Equal(1.0f, Param(vit, "norm.weight").max().item<float>());
    }

    [Fact]
    public void DinoInitialisationIsTruncatedNormalPointZeroTwo()
    {
        manual_seed(4);
        var vit = Tiny(PositionEmbeddingKind.Learned, dim: 64);
        double Std(string name) => Param(vit, name).std().item<float>();
        Assert.InRange(Std("blocks.0.mlp.fc1.weight"), 0.019, 0.021);
        Assert.InRange(Std("blocks.1.attn.qkv.weight"), 0.019, 0.021);
        Assert.InRange(Std("pos_embed"), 0.017, 0.023);
        Assert.Equal(0.0f, Param(vit, "blocks.0.attn.qkv.bias").abs().max().item<float>());
        Assert.True(Param(vit, "pos_embed").requires_grad);
    }

    [Fact]
    public void DropPathRatesRiseLinearlyOverDepth()
    {
        var vit = Tiny(PositionEmbeddingKind.SinCos, dropPath: 0.3, depth: 4);
        var rates = vit.modules().OfType<DropPath>().Select(d => d.Rate).ToArray();
        Assert.Equal(4, rates.Length);
        for (int i = 0; i < 4; i++) Assert.Equal(0.1 * i, rates[i], 12);
    }

    [Fact]
    public void ParameterCountMatchesTheClosedForm()
    {
        const long d = 192, depth = 6, p = 4, tokens = 64;
        long block = 4 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * 4 * d + 4 * d) + (4 * d * d + d);
        long sincos = 3 * p * p * d + d + d + depth * block + 2 * d;
        var vit = new VisionTransformer(new VitSettings(32, 4, 192, 6, 3));
        Assert.Equal(sincos, vit.parameters().Sum(t => t.numel()));
        var learned = new VisionTransformer(new VitSettings(32, 4, 192, 6, 3, PosEmbed: PositionEmbeddingKind.Learned));
        Assert.Equal(sincos + (tokens + 1) * d, learned.parameters().Sum(t => t.numel()));
    }

    [Fact]
    public void MovingToAnotherDtypeKeepsTheModelUsable()
    {
        var vit = Tiny(PositionEmbeddingKind.Learned);
        vit.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, vit.ClsToken.dtype);
        Assert.Equal(ScalarType.Float64, vit.forward(randn(1, 3, 16, 16, dtype: ScalarType.Float64)).dtype);
    }
}
