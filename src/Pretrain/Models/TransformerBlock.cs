using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>Pre-norm ViT block: x + drop_path(attn(norm1(x))), then x + drop_path(mlp(norm2(x))).</summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    internal readonly LayerNorm norm1;
    internal readonly SelfAttention attn;
    internal readonly DropPath drop_path;
    internal readonly LayerNorm norm2;
    internal readonly TransformerMlp mlp;

    public TransformerBlock(int dim, int numHeads, double mlpRatio, bool qkvBias, double dropPath)
        : base(nameof(TransformerBlock))
    {
        norm1 = nn.LayerNorm(dim, eps: 1e-6);
        attn = new SelfAttention(dim, numHeads, qkvBias);
        drop_path = new DropPath(dropPath);
        norm2 = nn.LayerNorm(dim, eps: 1e-6);
        mlp = new TransformerMlp(dim, (int)(dim * mlpRatio));
        register_module("norm1", norm1);
        register_module("attn", attn);
        register_module("drop_path", drop_path);
        register_module("norm2", norm2);
        register_module("mlp", mlp);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Residuals(x, attn.forward(norm1.forward(x))).MoveToOuterDisposeScope();
    }

    /// <summary>The block's output for the first token (CLS) only, [B, 1, D]: forward(x)[:, :1] up to
    /// summation order. Every token still feeds the attention's keys and values; the query, the output
    /// projection, norm2 and the MLP run on one row. Drop-path masks have the same shape ([B, 1, 1]) and
    /// so the same draws as in forward.</summary>
    public Tensor ForwardFirstToken(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Residuals(x.narrow(1, 0, 1), attn.ForwardFirstToken(norm1.forward(x))).MoveToOuterDisposeScope();
    }

    /// <summary>residual + drop_path(attended), then that + drop_path(mlp(norm2(that))), on whichever rows
    /// the caller passes.</summary>
    private Tensor Residuals(Tensor residual, Tensor attended)
    {
        var h = residual + drop_path.forward(attended);
        return h + drop_path.forward(mlp.forward(norm2.forward(h)));
    }
}
