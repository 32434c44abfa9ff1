using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>The feed-forward part of a ViT block: Linear → GELU → Linear.</summary>
public sealed class TransformerMlp : nn.Module<Tensor, Tensor>, IPrecisionLayer
{
    internal readonly Linear fc1;
    internal readonly Linear fc2;
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public TransformerMlp(int dim, int hiddenDim) : base(nameof(TransformerMlp))
    {
        fc1 = nn.Linear(dim, hiddenDim);
        fc2 = nn.Linear(hiddenDim, dim);
        register_module("fc1", fc1);
        register_module("fc2", fc2);
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = Precision.Linear(fc1, x);
        using var activated = nn.functional.gelu(hidden);
        return Precision.Linear(fc2, activated);
    }
}
