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
}
