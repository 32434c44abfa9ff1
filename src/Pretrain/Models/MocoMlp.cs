using Pretrain.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// MoCo v3 <c>_build_mlp</c>: bias-free Linear layers; hidden layers Linear → BatchNorm1d → ReLU;
/// the last Linear followed by BatchNorm1d(affine=false) when <c>lastBn</c>.
/// Linear layers keep PyTorch's default initialisation, as in the original.
/// </summary>
public sealed class MocoMlp : nn.Module<Tensor, Tensor>, IPrecisionLayer
{
    public int InDim { get; }
    public int OutDim { get; }
    private readonly Sequential _layers;
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public MocoMlp(int numLayers, int inDim, int hiddenDim, int outDim, bool lastBn) : base(nameof(MocoMlp))
    {
        if (numLayers < 1) throw new ArgumentOutOfRangeException(nameof(numLayers), "an MLP needs at least one layer");
        InDim = inDim;
        OutDim = outDim;
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (int l = 0; l < numLayers; l++)
        {
            int dim1 = l == 0 ? inDim : hiddenDim;
            int dim2 = l == numLayers - 1 ? outDim : hiddenDim;
            layers.Add((layers.Count.ToString(), nn.Linear(dim1, dim2, hasBias: false)));
            if (l < numLayers - 1)
            {
                layers.Add((layers.Count.ToString(), new ChunkedBatchNorm(dim2)));
                layers.Add((layers.Count.ToString(), nn.ReLU()));
            }
            else if (lastBn)
                layers.Add((layers.Count.ToString(), new ChunkedBatchNorm(dim2, affine: false)));
        }
        _layers = nn.Sequential(layers.ToArray());
        register_module("layers", _layers);
    }

    /// <summary>The layers in order (Linear, ChunkedBatchNorm, ReLU).</summary>
    public IReadOnlyList<nn.Module> Layers => _layers.children().ToList();

    public override Tensor forward(Tensor x) => Precision.Reduced ? ReducedForward(_layers, x, Precision) : _layers.forward(x);

    /// <summary>A Sequential's layers in order, its Linear layers in the compute dtype (BatchNorm takes its
    /// input back to fp32).</summary>
    internal static Tensor ReducedForward(Sequential layers, Tensor x, ComputePrecision precision)
    {
        using var scope = NewDisposeScope();
        foreach (var layer in layers.children())
            x = layer is Linear linear ? precision.Linear(linear, x) : ((nn.Module<Tensor, Tensor>)layer).call(x);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>MoCo v3 projector on a backbone of <paramref name="inDim"/> features: proj_layers, last BN on.</summary>
    public static MocoMlp Projector(MocoConfig cfg, int inDim) =>
        new(cfg.ProjLayers, inDim, cfg.HiddenDim, cfg.OutDim, lastBn: true);

    /// <summary>MoCo v3 predictor out_dim → hidden → out_dim, last BN per pred_last_bn (ViT on, ResNet off).</summary>
    public static MocoMlp Predictor(MocoConfig cfg) =>
        new(cfg.PredLayers, cfg.OutDim, cfg.HiddenDim, cfg.OutDim, cfg.PredLastBn);
}
