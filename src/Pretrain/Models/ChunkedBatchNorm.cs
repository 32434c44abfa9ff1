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

    /// <summary>How many equal parts the batch dimension holds; set for a forward by <see cref="Scope"/>.</summary>
    public int Chunks { get; set; } = 1;

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
        if (!training)
            return nn.functional.batch_norm(x, RunningMean, RunningVar, Weight, Bias, false, Momentum, Eps);

        int k = Chunks;
        long batch = x.shape[0];
        if (k < 1 || batch % k != 0)
            throw new ArgumentException($"batch of {batch} cannot be split into {k} equal chunks");
        if (k == 1)
        {
            var y = nn.functional.batch_norm(x, RunningMean, RunningVar, Weight, Bias, true, Momentum, Eps);
            using (no_grad()) NumBatchesTracked.add_(1);
            return y;
        }

        // [k·n, C, *] -> [n, k·C, *]: each (chunk, channel) pair becomes its own channel of one fused
        // batch_norm call, which normalises it over that chunk's samples and positions only.
        long n = batch / k, c = NumFeatures;
        long[] rest = x.shape.Skip(2).ToArray();
        long[] split = [k, n, c, .. rest];
        long[] merged = [n, k * c, .. rest];
        using var scope = NewDisposeScope();
        var xs = x.reshape(split).transpose(0, 1).reshape(merged);

        // Momentum 1 over zero buffers makes the fused kernel hand back each chunk's batch mean and
        // unbiased variance, from which the sequential running-stat update is formed below.
        var chunkMean = zeros(k * c, dtype: RunningMean.dtype, device: x.device);
        var chunkVar = zeros(k * c, dtype: RunningVar.dtype, device: x.device);
        var w = Affine ? Weight!.repeat(k) : null;
        var b = Affine ? Bias!.repeat(k) : null;
        var ys = nn.functional.batch_norm(xs, chunkMean, chunkVar, w, b, true, 1.0, Eps);
        var y2 = ys.reshape([n, k, c, .. rest]).transpose(0, 1).reshape(x.shape);

        using (no_grad())
        {
            // k sequential updates r <- (1-m) r + m s_i equal (1-m)^k r + sum_i m (1-m)^(k-1-i) s_i.
            var powers = arange(k - 1, -1, -1, dtype: ScalarType.Float64, device: x.device);
            var coeff = powers.mul(Math.Log(1.0 - Momentum)).exp().mul(Momentum).to(RunningMean.dtype).unsqueeze(1);
            double decay = Math.Pow(1.0 - Momentum, k);
            RunningMean.mul_(decay).add_(chunkMean.view(k, c).mul(coeff).sum(0L));
            RunningVar.mul_(decay).add_(chunkVar.view(k, c).mul(coeff).sum(0L));
            NumBatchesTracked.add_(k);
        }
        return y2.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Sets the chunk count of every <see cref="ChunkedBatchNorm"/> under <paramref name="root"/> until
    /// the returned handle is disposed, which restores the previous counts.
    /// </summary>
    public static IDisposable Scope(nn.Module root, int chunks)
    {
        if (chunks < 1) throw new ArgumentOutOfRangeException(nameof(chunks));
        var layers = root.modules().Prepend(root).OfType<ChunkedBatchNorm>().Distinct().ToList();
        var previous = layers.Select(l => l.Chunks).ToList();
        foreach (var l in layers) l.Chunks = chunks;
        return new ChunkRestorer(layers, previous);
    }

    private sealed class ChunkRestorer(List<ChunkedBatchNorm> layers, List<int> previous) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            for (int i = 0; i < layers.Count; i++) layers[i].Chunks = previous[i];
        }
    }
}
