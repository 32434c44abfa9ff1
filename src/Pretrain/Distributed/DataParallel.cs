using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Pretrain.Distributed;

/// <summary>
/// This process's place in a data-parallel run: each of <see cref="World"/> ranks holds rows
/// [Rank·n, (Rank+1)·n) of every global batch of N = World·n samples, and the helpers here move between
/// the local and the global view of a batch. With one rank every helper is the identity and costs
/// nothing, so single-process code paths stay exactly as they were.
/// </summary>
public sealed class DataParallel
{
    public DataParallel(ICollectives collectives) => Collectives = collectives;

    /// <summary>One process, no communication.</summary>
    public static DataParallel Single { get; } = new(new SingleProcessCollectives());

    public ICollectives Collectives { get; }
    public int Rank => Collectives.Rank;
    public int World => Collectives.WorldSize;
    public bool IsDistributed => World > 1;

    /// <summary>Row of the global batch where this rank's n rows start.</summary>
    public long Offset(long localRows) => Rank * localRows;

    /// <summary>Every rank's rows in rank order (no gradient flows back): the global batch.</summary>
    public Tensor Gather(Tensor local)
    {
        if (!IsDistributed) return local;
        using var noGrad = no_grad();
        var t = local.detach();
        if (t.dtype != ScalarType.Float32) throw new ArgumentException($"Gather carries float32 tensors, got {t.dtype}");
        return Collectives.AllGather(t.contiguous());
    }

    /// <summary>This rank's rows of a global tensor whose dim 0 is World·n.</summary>
    public Tensor LocalRows(Tensor global)
    {
        if (!IsDistributed) return global;
        long n = global.shape[0] / World;
        return global.narrow(0, Rank * n, n);
    }

    /// <summary>Σ over ranks of a float32 tensor, differentiable: the gradient of each rank's input is the
    /// Σ over ranks of the output gradients (the adjoint of a replicated sum), as SyncBatchNorm needs.</summary>
    public Tensor SumAcrossRanks(Tensor t)
    {
        if (!IsDistributed) return t;
        if (!is_grad_enabled() || !t.requires_grad)
        {
            using var noGrad = no_grad();
            var y = t.detach().contiguous().clone();
            Collectives.AllReduce(y, ReduceOp.Sum);
            return y;
        }
        return autograd.SingleTensorFunction<AllReduceSumFunction>.apply(t, Collectives);
    }

    /// <summary>Rank 0's string on every rank (e.g. the checkpoint every rank resumes from).</summary>
    public string? BroadcastString(string? value)
    {
        if (!IsDistributed) return value;
        var bytes = value is null ? [] : Encoding.UTF8.GetBytes(value);
        using var length = tensor(new long[] { value is null ? -1 : bytes.Length });
        Collectives.Broadcast(length, 0);
        long n = length.item<long>();
        if (n < 0) return null;
        using var data = n == 0 ? zeros(1, ScalarType.Byte) : tensor(bytes.Length == n ? bytes : new byte[n]);
        if (n > 0) Collectives.Broadcast(data, 0);
        return n == 0 ? "" : Encoding.UTF8.GetString(data.data<byte>().ToArray());
    }

    private sealed class AllReduceSumFunction : autograd.SingleTensorFunction<AllReduceSumFunction>
    {
        public override string Name => nameof(AllReduceSumFunction);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var collectives = (ICollectives)vars[1];
            ctx.save_data("collectives", collectives);
            using var noGrad = no_grad();
            var y = x.detach().contiguous().clone();
            collectives.AllReduce(y, ReduceOp.Sum);
            return y;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
        {
            var collectives = (ICollectives)ctx.get_data("collectives");
            var g = gradOutput.contiguous().clone();
            collectives.AllReduce(g, ReduceOp.Sum);
            return [g, null!];
        }
    }
}
