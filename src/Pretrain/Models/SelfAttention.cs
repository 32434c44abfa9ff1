using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>Multi-head self-attention of a ViT block: one qkv projection, fused attention, output projection.</summary>
public sealed class SelfAttention : nn.Module<Tensor, Tensor>, IPrecisionLayer
{
    public int Dim { get; }
    public int NumHeads { get; }
    internal readonly Linear qkv;
    internal readonly Linear proj;
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public SelfAttention(int dim, int numHeads, bool qkvBias) : base(nameof(SelfAttention))
    {
        if (numHeads <= 0 || dim % numHeads != 0)
            throw new ArgumentException($"embed dim {dim} is not divisible by {numHeads} heads");
        Dim = dim;
        NumHeads = numHeads;
        qkv = nn.Linear(dim, 3 * dim, hasBias: qkvBias);
        proj = nn.Linear(dim, dim);
        register_module("qkv", qkv);
        register_module("proj", proj);
    }

    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], n = x.shape[1];
        using var scope = NewDisposeScope();
        // [B, N, 3·D] -> [3, B, heads, N, D/heads]
        var qkvHeads = Precision.Linear(qkv, x).reshape(b, n, 3, NumHeads, Dim / NumHeads).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(qkvHeads[0], qkvHeads[1], qkvHeads[2]);
        var merged = attended.transpose(1, 2).reshape(b, n, Dim);
        return Precision.Linear(proj, merged).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The attention output of the first token (CLS) only: [B, 1, D], the row [:, :1] of
    /// <see cref="forward"/>'s output. Keys and values come from every token; the query, the attention
    /// and the output projection run for one row instead of N (what a network that reads only the CLS
    /// output of its last block needs). Equal to forward(x)[:, :1] up to the GEMMs' summation order.
    /// </summary>
    public Tensor ForwardFirstToken(Tensor x)
    {
        long b = x.shape[0], n = x.shape[1];
        int dh = Dim / NumHeads;
        using var scope = NewDisposeScope();
        var w = qkv.weight!;
        var bias = qkv.bias;
        // qkv's weight rows are [q; k; v] (the layout forward reshapes into [3, heads, D/heads])
        var q = Precision.Linear(x.narrow(1, 0, 1), w.narrow(0, 0, Dim), bias?.narrow(0, 0, Dim))
            .reshape(b, 1, NumHeads, dh).transpose(1, 2);
        var kv = Precision.Linear(x, w.narrow(0, Dim, 2 * Dim), bias?.narrow(0, Dim, 2 * Dim))
            .reshape(b, n, 2, NumHeads, dh).permute(2, 0, 3, 1, 4);
        var attended = nn.functional.scaled_dot_product_attention(q, kv[0], kv[1]);
        var merged = attended.transpose(1, 2).reshape(b, 1, Dim);
        return Precision.Linear(proj, merged).MoveToOuterDisposeScope();
    }
}
