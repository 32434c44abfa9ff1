using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// Bias-free Linear with weight normalisation (torch.nn.utils.weight_norm, dim 0), which TorchSharp lacks:
/// parameters v [out, in] and g [out, 1], weight W = g · v / ‖v‖ row by row. Like weight_norm, v starts
/// as PyTorch's default Linear weight and g as its row norms, so W = v at first.
/// </summary>
public sealed class WeightNormLinear : nn.Module<Tensor, Tensor>, IPrecisionLayer
{
    public int InFeatures { get; }
    public int OutFeatures { get; }

    public Parameter WeightV => get_parameter("weight_v");
    public Parameter WeightG => get_parameter("weight_g");
    /// <summary>The product's compute dtype; the weight g · v / ‖v‖ is always computed in fp32.</summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public WeightNormLinear(int inFeatures, int outFeatures) : base(nameof(WeightNormLinear))
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        using var linear = nn.Linear(inFeatures, outFeatures, hasBias: false);
        using (no_grad())
        {
            var v = linear.weight!.detach().clone();
            var g = v.norm(1, keepdim: true);
            register_parameter("weight_v", nn.Parameter(v));
            register_parameter("weight_g", nn.Parameter(g));
        }
    }

    /// <summary>The effective weight g · v / ‖v‖ (differentiable in v and g).</summary>
    public Tensor Weight()
    {
        using var scope = NewDisposeScope();
        var v = WeightV;
        return v.mul(WeightG.div(v.norm(1, keepdim: true))).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x)
    {
        if (x.shape[^1] != InFeatures)
            throw new ArgumentException($"WeightNormLinear expects last dim {InFeatures}, got {x.shape[^1]}");
        using var w = Weight();
        return Precision.Linear(x, w);
    }
}
