using Pretrain.Config;
using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// The two mixed views of a step. <see cref="Lambda"/> is view 2's per-sample λ (float32 [n]), the
/// view the query/student sees mixed, so it is the λ the SDMP terms weigh with. For mixup and
/// resizemix both views share it; for cutmix each view recomputes λ from its own clipped box, and
/// view 1's is <see cref="Lambda1"/>.
/// </summary>
public sealed record MixResult(Tensor Mixed1, Tensor Mixed2, Tensor Lambda, Tensor Lambda1, MixOp Op);
