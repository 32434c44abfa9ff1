using Pretrain.Config;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// DINO projection head (vision_transformer.py DINOHead): MLP in → hidden → … → bottleneck with GELU
/// (optional BN), trunc-normal(0.02) weights and zero biases, L2-normalisation, then a weight-normalised
/// bias-free Linear to out_dim. As in DINO the last layer is created after the MLP initialisation
/// (so v keeps the default Linear init) and its gain g is filled with 1; with norm_last_layer g is frozen.
/// </summary>
public sealed class DinoHead : nn.Module<Tensor, Tensor>, IPrecisionLayer
{
    public int InDim { get; }
    public int OutDim { get; }
    public bool NormLastLayer { get; }

    private readonly Sequential _mlp;
    private readonly WeightNormLinear _lastLayer;
    /// <summary>The MLP's compute dtype (the last layer has its own, set together by ComputePrecision.Apply).</summary>
    public ComputePrecision Precision { get; set; } = ComputePrecision.Fp32;

    public DinoHead(int inDim, int outDim, int hiddenDim = 2048, int bottleneckDim = 256,
                    bool useBn = false, bool normLastLayer = true, int numLayers = 3) : base(nameof(DinoHead))
    {
        InDim = inDim;
        OutDim = outDim;
        NormLastLayer = normLastLayer;
        numLayers = Math.Max(numLayers, 1);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        void Add(nn.Module<Tensor, Tensor> m) => layers.Add((layers.Count.ToString(), m));
        if (numLayers == 1)
            Add(nn.Linear(inDim, bottleneckDim));
        else
        {
            for (int l = 0; l < numLayers - 1; l++)
            {
                Add(nn.Linear(l == 0 ? inDim : hiddenDim, hiddenDim));
                if (useBn) Add(new ChunkedBatchNorm(hiddenDim));
                Add(nn.GELU());
            }
            Add(nn.Linear(hiddenDim, bottleneckDim));
        }
        _mlp = nn.Sequential(layers.ToArray());
        using (no_grad())
            foreach (var linear in _mlp.children().OfType<Linear>())
            {
                TruncatedNormal.Fill_(linear.weight!, std: 0.02);
                linear.bias?.zero_();
            }

        _lastLayer = new WeightNormLinear(bottleneckDim, outDim);
        using (no_grad()) _lastLayer.WeightG.fill_(1);
        if (normLastLayer) _lastLayer.WeightG.requires_grad = false;
        register_module("mlp", _mlp);
        register_module("last_layer", _lastLayer);
    }

    public static DinoHead FromConfig(DinoConfig cfg, int inDim) =>
        new(inDim, cfg.OutDim, cfg.HiddenDim, cfg.BottleneckDim, cfg.UseBnInHead, cfg.NormLastLayer);

    public WeightNormLinear LastLayer => _lastLayer;

    /// <summary>Parameters whose gradients DINO drops during the first freeze_last_layer epochs (v and g).</summary>
    public IReadOnlyList<Parameter> LastLayerParameters => [_lastLayer.WeightV, _lastLayer.WeightG];

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = Precision.Reduced ? ComputePrecision.Float32(MocoMlp.ReducedForward(_mlp, x, Precision)) : _mlp.forward(x);
        var z = nn.functional.normalize(h, p: 2, dim: -1);   // fp32
        return _lastLayer.forward(z).MoveToOuterDisposeScope();
    }
}
