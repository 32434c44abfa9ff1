using Pretrain.Config;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>sincos: fixed 2-D sin-cos table and MoCo v3 initialisation; learned: trainable table and DINO initialisation.</summary>

public sealed record VitSettings(
    int ImageSize, int PatchSize, int EmbedDim, int Depth, int NumHeads,
    double MlpRatio = 4.0, bool QkvBias = true, double DropPath = 0.0,
    PositionEmbeddingKind PosEmbed = PositionEmbeddingKind.SinCos, bool StopGradPatchEmbed = false);

/// <summary>
/// Vision Transformer as MoCo v3 (vits.py) and DINO (vision_transformer.py) build it: conv patch
/// embedding, CLS token, position embedding, pre-norm blocks with stochastic depth rising linearly
/// to <see cref="VitSettings.DropPath"/>, final LayerNorm; the feature is the normalised CLS token.
/// </summary>
public sealed class VisionTransformer : Backbone, IPrecisionLayer
{
    public VitSettings Settings { get; }
    public override int FeatureDim => Settings.EmbedDim;
    /// <summary>Patches per side at the configured image size.</summary>
    public int GridSize { get; }

    internal readonly Conv2d patch_embed;
    internal readonly ModuleList<TransformerBlock> blocks;
    internal readonly LayerNorm norm;
    /// <summary>The patch projection's compute dtype (the blocks have their own, set together by ComputePrecision.Apply).</summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public Parameter ClsToken => get_parameter("cls_token");
    /// <summary>The table for the configured grid: a non-trainable buffer (sincos) or a parameter (learned).</summary>
    public Tensor PosEmbed => Settings.PosEmbed == PositionEmbeddingKind.Learned ? get_parameter("pos_embed") : get_buffer("pos_embed");

    public VisionTransformer(VitSettings s) : base(nameof(VisionTransformer))
    {
        if (s.PatchSize <= 0 || s.ImageSize % s.PatchSize != 0)
            throw new ArgumentException($"image size {s.ImageSize} is not a multiple of patch size {s.PatchSize}");
        if (s.Depth <= 0) throw new ArgumentException($"depth must be positive, got {s.Depth}");
        if (s.NumHeads <= 0 || s.EmbedDim % s.NumHeads != 0)
            throw new ArgumentException($"embed dim {s.EmbedDim} is not divisible by {s.NumHeads} heads");
        Settings = s;
        GridSize = s.ImageSize / s.PatchSize;
        int dim = s.EmbedDim;

        patch_embed = nn.Conv2d(3, dim, s.PatchSize, stride: s.PatchSize);
        // Stochastic depth rate grows linearly over depth (torch.linspace(0, drop_path, depth)).
        var rates = Enumerable.Range(0, s.Depth).Select(i => s.Depth == 1 ? 0.0 : s.DropPath * i / (s.Depth - 1)).ToArray();
        blocks = nn.ModuleList(rates.Select(r => new TransformerBlock(dim, s.NumHeads, s.MlpRatio, s.QkvBias, r)).ToArray());
        norm = nn.LayerNorm(dim, eps: 1e-6);
        register_module("patch_embed", patch_embed);
        register_module("blocks", blocks);
        register_module("norm", norm);

        register_parameter("cls_token", nn.Parameter(zeros(1, 1, dim)));
        if (s.PosEmbed == PositionEmbeddingKind.Learned)
            register_parameter("pos_embed", nn.Parameter(zeros(1, 1 + GridSize * GridSize, dim)));
        else
            // A pure function of the configuration, so it stays out of checkpoints.
            register_buffer("pos_embed", PositionEmbedding.SinCos2d(GridSize, GridSize, dim).DetachFromDisposeScope(), persistent: false);

        if (s.PosEmbed == PositionEmbeddingKind.Learned) InitDino(); else InitMoco();

        if (s.StopGradPatchEmbed)
        {
            patch_embed.weight!.requires_grad = false;
            patch_embed.bias!.requires_grad = false;
        }
    }

    /// <summary>moco-v3 vits.py: xavier-uniform Linears (Q, K, V treated as separate matrices), zero
    /// biases, uniform patch projection with the fan of a 3·p·p → dim linear map, CLS ~ N(0, 1e-6).</summary>
    private void InitMoco()
    {
        using var _ = no_grad();
        foreach (var block in blocks)
        {
            var qkvWeight = block.attn.qkv.weight!;
            double bound = Math.Sqrt(6.0 / (qkvWeight.shape[0] / 3 + qkvWeight.shape[1]));
            nn.init.uniform_(qkvWeight, -bound, bound);
            block.attn.qkv.bias?.zero_();
            foreach (var linear in new[] { block.attn.proj, block.mlp.fc1, block.mlp.fc2 })
            {
                nn.init.xavier_uniform_(linear.weight!);
                linear.bias?.zero_();
            }
        }
        nn.init.normal_(ClsToken, std: 1e-6);
        double p = Settings.PatchSize;
        double patchBound = Math.Sqrt(6.0 / (3 * p * p + Settings.EmbedDim));
        nn.init.uniform_(patch_embed.weight!, -patchBound, patchBound);
        patch_embed.bias!.zero_();
    }

    /// <summary>DINO vision_transformer.py: trunc-normal(0.02) Linears, CLS and position table, zero biases;
    /// the patch convolution keeps PyTorch's default initialisation.</summary>
    private void InitDino()
    {
        using var _ = no_grad();
        TruncatedNormal.Fill_(get_parameter("pos_embed"), std: 0.02);
        TruncatedNormal.Fill_(ClsToken, std: 0.02);
        foreach (var block in blocks)
            foreach (var linear in new[] { block.attn.qkv, block.attn.proj, block.mlp.fc1, block.mlp.fc2 })
            {
                TruncatedNormal.Fill_(linear.weight!, std: 0.02);
                linear.bias?.zero_();
            }
    }

    /// <summary>Patch tokens with the CLS token in front and position embedding added: [B, 1 + N, D].</summary>
    private Tensor Embed(Tensor x)
    {
        if (x.ndim != 4 || x.shape[1] != 3)
            throw new ArgumentException($"ViT expects [B, 3, H, W], got [{string.Join(", ", x.shape)}]");
        if (x.shape[2] < Settings.PatchSize || x.shape[3] < Settings.PatchSize)
            throw new ArgumentException($"image {x.shape[2]}x{x.shape[3]} is smaller than patch size {Settings.PatchSize}");
        using var scope = NewDisposeScope();
        var patches = Precision.Conv(patch_embed, x);
        if (Precision.Reduced) patches = patches.to(ScalarType.Float32);   // the residual stream is fp32
        int gridH = (int)patches.shape[2], gridW = (int)patches.shape[3];
        var tokens = patches.flatten(2).transpose(1, 2);
        var cls = ClsToken.expand(x.shape[0], -1, -1);
        var withCls = cat([cls, tokens], 1);
        return withCls.add(PositionTable(gridH, gridW, x.device)).MoveToOuterDisposeScope();
    }

    private Tensor PositionTable(int gridH, int gridW, Device device)
    {
        if (Settings.PosEmbed == PositionEmbeddingKind.Learned)
            return PositionEmbedding.InterpolateLearned(PosEmbed, gridH, gridW);
        return gridH == GridSize && gridW == GridSize
            ? PosEmbed.alias()
            : PositionEmbedding.SinCos2d(gridH, gridW, Settings.EmbedDim, device: device);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var t = Embed(x);
        for (int i = 0; i < Settings.Depth - 1; i++) t = blocks[i].forward(t);
        return LastBlockCls(t).MoveToOuterDisposeScope();
    }

    /// <summary>The feature from the last block's input: only its CLS token is read, so the last block runs
    /// its CLS row only (its other N rows' query, projection, MLP and norm would be computed, and
    /// back-propagated, for nothing), then the final norm.</summary>
    private Tensor LastBlockCls(Tensor t) => norm.forward(blocks[Settings.Depth - 1].ForwardFirstToken(t)).select(1, 0);

    public override BackboneTokens LastBlockTokens(Tensor x, int n, bool patchMean = true)
    {
        if (n < 1 || n > Settings.Depth) throw new ArgumentOutOfRangeException(nameof(n), $"need 1..{Settings.Depth} blocks, got {n}");
        using var scope = NewDisposeScope();
        var t = Embed(x);
        var cls = new List<Tensor>();
        for (int i = 0; i < Settings.Depth - 1; i++)
        {
            t = blocks[i].forward(t);
            // LayerNorm is per token: the CLS row alone through the final norm.
            if (i >= Settings.Depth - n) cls.Add(norm.forward(t.narrow(1, 0, 1)).select(1, 0).MoveToOuterDisposeScope());
        }
        if (!patchMean)
        {
            cls.Add(LastBlockCls(t).MoveToOuterDisposeScope());
            return new BackboneTokens(cls.ToArray(), null);
        }
        var last = norm.forward(blocks[Settings.Depth - 1].forward(t));
        cls.Add(last.select(1, 0).MoveToOuterDisposeScope());
        return new BackboneTokens(cls.ToArray(), last.narrow(1, 1, last.shape[1] - 1).mean([1]).MoveToOuterDisposeScope());
    }
}
