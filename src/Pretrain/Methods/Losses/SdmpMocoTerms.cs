using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>The MoCo v3 + SDMP loss of one step and its logged parts (Source and Mix unweighted).</summary>
public sealed record SdmpMocoTerms(Tensor Total, Tensor Moco, Tensor Source, Tensor Mix);
