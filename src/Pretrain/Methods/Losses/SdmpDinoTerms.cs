using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>The DINO + SDMP loss of one step and its logged parts (Source and Mix unweighted).</summary>
public sealed record SdmpDinoTerms(Tensor Total, Tensor Dino, Tensor Source, Tensor Mix);
