using Pretrain.Distributed;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// Stochastic depth (DINO / timm <c>drop_path</c>): in training mode each sample's residual branch is
/// zeroed with probability <see cref="Rate"/> and kept samples are scaled by 1/(1-rate), so the
/// expectation is unchanged; in eval mode it is the identity. The per-sample draws come from torch's
/// generator of the input's device, which the trainer seeds.
/// </summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    public double Rate { get; }

    public DropPath(double rate) : base(nameof(DropPath))
    {
        if (rate < 0 || rate >= 1) throw new ArgumentOutOfRangeException(nameof(rate), "drop path rate must be in [0, 1)");
        Rate = rate;
    }

    /// <summary>How many equal parts (views) the batch holds; set by <see cref="BatchLayout.Scope"/>.</summary>
    public int Chunks { get; set; } = 1;

    /// <summary>When it spans several ranks, the masks are this rank's rows of the masks one process
    /// would draw for the global batch; set by <see cref="BatchLayout.Scope"/>.</summary>
    public DataParallel? Sync { get; set; }

    /// <summary>A bf16 / fp16 branch (training.precision) is scaled and masked in fp32, with masks drawn in
    /// fp32: the draws are those of an fp32 run and the branch joins the fp32 residual stream.</summary>
    private static bool IsReduced(Tensor x) => x.dtype is ScalarType.BFloat16 or ScalarType.Float16;
    private static ScalarType MaskType(Tensor x) => IsReduced(x) ? ScalarType.Float32 : x.dtype;
    private static Tensor Widened(Tensor x) => IsReduced(x) ? x.to(ScalarType.Float32) : x;

    public override Tensor forward(Tensor x)
    {
        if (!training || Rate == 0) return x.alias();
        double keep = 1.0 - Rate;
        var maskShape = new long[x.ndim];
        maskShape[0] = x.shape[0];
        for (int i = 1; i < maskShape.Length; i++) maskShape[i] = 1;
        if (Sync is { IsDistributed: true } sync)
        {
            // Every rank draws the global batch's masks from the same generator state (the trainer seeds
            // it per step) and keeps its own rows of each chunk: [k·N] -> [k, N] -> rows [r·n, (r+1)·n).
            long n = x.shape[0] / Chunks, global = n * sync.World;
            maskShape[0] = Chunks * global;
            using var all = rand(maskShape, dtype: MaskType(x), device: x.device).add_(keep).floor_();
            maskShape[0] = x.shape[0];
            using var local = all.view(Chunks, global, -1).narrow(1, sync.Offset(n), n).reshape(maskShape);
            return Widened(x).div(keep).mul(local);
        }
        using var mask = rand(maskShape, dtype: MaskType(x), device: x.device).add_(keep).floor_();
        return Widened(x).div(keep).mul(mask);
    }
}
