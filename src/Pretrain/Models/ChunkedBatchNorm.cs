using Pretrain.Distributed;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Models;

/// <summary>
/// BatchNorm over the channel dimension (dim 1) of [B, C] (1d) or [B, C, H, W] (2d) inputs, whose
/// batch may be a concatenation of <see cref="Chunks"/> equal view batches. In training mode each
/// chunk is normalised with its own batch statistics and the running statistics advance exactly as
/// if the chunks had gone through <c>torch.nn.BatchNorm</c> one call after another, so the trainer
/// can run several views in one forward without changing the numerics of MoCo/DINO.
/// </summary>
public sealed class ChunkedBatchNorm : nn.Module<Tensor, Tensor>
{
    public long NumFeatures { get; }
    public bool Affine { get; }
    public double Eps { get; }
    public double Momentum { get; }

    /// <summary>How many equal parts the batch dimension holds; set for a forward by <see cref="BatchLayout.Scope"/>.</summary>
    public int Chunks { get; set; } = 1;

    /// <summary>When it spans several ranks, the statistics are those of the global batch (SyncBatchNorm,
    /// as MoCo v3 and DINO convert every BatchNorm); set for a forward by <see cref="BatchLayout.Scope"/>.</summary>
    public DataParallel? Sync { get; set; }

    public ChunkedBatchNorm(long numFeatures, bool affine = true, double eps = 1e-5, double momentum = 0.1)
        : base(nameof(ChunkedBatchNorm))
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures));
        NumFeatures = numFeatures;
        Affine = affine;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            register_parameter("weight", nn.Parameter(ones(numFeatures)));
            register_parameter("bias", nn.Parameter(zeros(numFeatures)));
        }
        register_buffer("running_mean", zeros(numFeatures));
        register_buffer("running_var", ones(numFeatures));
        register_buffer("num_batches_tracked", zeros(1, dtype: ScalarType.Int64).squeeze());
    }

    // Looked up by name on every use: Module.to(device) replaces the registered tensors.
    public Parameter? Weight => Affine ? get_parameter("weight") : null;
    public Parameter? Bias => Affine ? get_parameter("bias") : null;
    public Tensor RunningMean => get_buffer("running_mean");
    public Tensor RunningVar => get_buffer("running_var");
    public Tensor NumBatchesTracked => get_buffer("num_batches_tracked");

    public override Tensor forward(Tensor x)
    {
        if (x.ndim < 2 || x.shape[1] != NumFeatures)
            throw new ArgumentException($"ChunkedBatchNorm({NumFeatures}) got input of shape [{string.Join(", ", x.shape)}]");
        // Reduced-precision input (a bf16 convolution or Linear before it): statistics and output in fp32.
        if (x.dtype != RunningMean.dtype && x.dtype is ScalarType.BFloat16 or ScalarType.Float16) x = x.to(RunningMean.dtype);
        if (!training)
            return nn.functional.batch_norm(x, RunningMean, RunningVar, Weight, Bias, false, Momentum, Eps);

        int k = Chunks;
        long batch = x.shape[0];
        if (k < 1 || batch % k != 0)
            throw new ArgumentException($"batch of {batch} cannot be split into {k} equal chunks");
        if (Sync is { IsDistributed: true } sync) return SyncForward(x, k, sync);
        if (k == 1)
        {
            var y = nn.functional.batch_norm(x, RunningMean, RunningVar, Weight, Bias, true, Momentum, Eps);
            using (no_grad()) NumBatchesTracked.add_(1);
            return y;
        }

        // One native call per chunk on its rows (a split along dim 0 is a view, in either memory format),
        // joined by one cat: each chunk is normalised over its own samples and positions only, and the
        // backward of the split/cat pair is one cat of the chunks' input gradients.
        // Momentum 1 over zero buffers makes the kernel hand back each chunk's batch mean and unbiased
        // variance, from which the sequential running-stat update is formed below.
        long c = NumFeatures;
        using var scope = NewDisposeScope();
        var chunkMean = zeros(k * c, dtype: RunningMean.dtype, device: x.device);
        var chunkVar = zeros(k * c, dtype: RunningVar.dtype, device: x.device);
        var parts = x.split(batch / k, 0);
        var ys = new Tensor[k];
        for (int i = 0; i < k; i++)
            ys[i] = nn.functional.batch_norm(parts[i], chunkMean.narrow(0, i * c, c), chunkVar.narrow(0, i * c, c), Weight, Bias, true, 1.0, Eps);
        var y2 = cat(ys, 0);

        AdvanceRunningStatistics(chunkMean, chunkVar, k);
        return y2.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Training-mode forward over the global batch of all ranks: per (chunk, channel), the mean and the
    /// biased variance of every rank's samples (two differentiable all-reduces, so the backward pass
    /// sums the gradient terms of all ranks as torch's SyncBatchNorm does), the running statistics
    /// advanced with the global unbiased variance, exactly as one process holding the whole batch would.
    /// </summary>
    private Tensor SyncForward(Tensor x, int k, DataParallel sync)
    {
        long n = x.shape[0] / k, c = NumFeatures;
        long[] rest = x.shape.Skip(2).ToArray();
        using var scope = NewDisposeScope();
        double count = (double)n * rest.Aggregate(1L, (a, b) => a * b) * sync.World;
        // Channels-last input: [k·n, C, H, W] viewed as [k, n, C, H, W] (a view, the layout survives);
        // otherwise the chunks are folded into channels, [n, k·C, *], the reduction order the
        // data-parallel comparisons were measured with (DataParallelTrainingTests is sensitive to rounding).
        bool channelsLast = rest.Length == 2 && c > 1 && x.stride(1) == 1;
        Tensor xs;
        long[] stat, sumDims;
        Func<Tensor, Tensor> affine, unfold;
        if (channelsLast)
        {
            xs = x.view([k, n, c, .. rest]);
            stat = [k, 1, c, 1, 1];
            sumDims = [1, 3, 4];
            affine = p => p.view(1, 1, c, 1, 1);
            unfold = t => t.view(x.shape);
        }
        else
        {
            xs = k == 1 ? x : x.reshape([k, n, c, .. rest]).transpose(0, 1).reshape([n, k * c, .. rest]);
            stat = [1, k * c, .. rest.Select(_ => 1L)];
            sumDims = [0, .. Enumerable.Range(2, rest.Length).Select(d => (long)d)];
            affine = p => p.repeat(k).view(stat);
            unfold = t => k == 1 ? t : t.reshape([n, k, c, .. rest]).transpose(0, 1).reshape(x.shape);
        }
        var mean = sync.SumAcrossRanks(xs.sum(sumDims)).div(count);
        var centered = xs - mean.view(stat);
        var variance = sync.SumAcrossRanks(centered.square().sum(sumDims)).div(count);
        var ys = centered * (variance + Eps).rsqrt().view(stat);
        if (Affine) ys = ys * affine(Weight!) + affine(Bias!);
        var y = unfold(ys);

        using (no_grad())
            AdvanceRunningStatistics(mean.detach().reshape(k * c).to(RunningMean.dtype), variance.detach().reshape(k * c).mul(count / Math.Max(count - 1, 1)).to(RunningVar.dtype), k);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>The running statistics after k sequential updates with each chunk's batch mean and
    /// unbiased variance ([k·C] each): r ← (1-m) r + m s_i, i = 0..k-1, which equals
    /// (1-m)^k r + Σ_i m (1-m)^(k-1-i) s_i.</summary>
    private void AdvanceRunningStatistics(Tensor chunkMean, Tensor chunkVar, int k)
    {
        using var noGrad = no_grad();
        long c = NumFeatures;
        var powers = arange(k - 1, -1, -1, dtype: ScalarType.Float64, device: chunkMean.device);
        var coeff = powers.mul(Math.Log(1.0 - Momentum)).exp().mul(Momentum).to(RunningMean.dtype).unsqueeze(1);
        double decay = Math.Pow(1.0 - Momentum, k);
        RunningMean.mul_(decay).add_(chunkMean.view(k, c).mul(coeff).sum(0L));
        RunningVar.mul_(decay).add_(chunkVar.view(k, c).mul(coeff).sum(0L));
        NumBatchesTracked.add_(k);
    }
}
