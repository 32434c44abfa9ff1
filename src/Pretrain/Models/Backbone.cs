using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// An image encoder: forward maps [B, 3, H, W] to the pooled feature [B, FeatureDim]
/// (ViT: CLS token after the final norm; ResNet: global-average-pooled last stage).
/// </summary>
public abstract class Backbone : nn.Module<Tensor, Tensor>
{
    protected Backbone(string name) : base(name) { }

    public abstract int FeatureDim { get; }

    /// <summary>
    /// Features for the DINO linear protocol: the CLS token of each of the last <paramref name="n"/>
    /// blocks (each through the final norm) and, when <paramref name="patchMean"/>, the mean patch token
    /// of the last block. Backbones without tokens return their pooled output as the only entry and no
    /// patch mean.
    /// </summary>
    public abstract BackboneTokens LastBlockTokens(Tensor x, int n, bool patchMean = true);
}

/// <summary>CLS tokens [B, D] of the last blocks in block order, and the last block's mean patch token [B, D]
/// (null when not asked for, or for a backbone without tokens).</summary>
public sealed record BackboneTokens(Tensor[] Cls, Tensor? PatchMean);
