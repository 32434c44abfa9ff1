using Pretrain.Mixing;
using static TorchSharp.torch;

namespace Pretrain.Methods.Losses;

/// <summary>
/// Where a rank's n rows sit among the rows their positives are looked up in (the keys, or the teacher
/// targets): own row i at <see cref="Offset"/> + i of <see cref="Rows"/>; its SDMP partner either the
/// mirror row of the global batch, Rows - 1 - (Offset + i) (partners over the global batch, as the
/// official code's all-gather gives), or the mirror row of the rank's own block (partners within the
/// rank). One process: Offset 0, Rows = n, and both rules are p(i) = n - 1 - i.
/// </summary>
public readonly record struct QueryRows(long Offset, long Rows, bool LocalPartners)
{
    public static QueryRows All(long n) => new(0, n, false);

    public bool IsAll(long n) => Offset == 0 && Rows == n;

    public Tensor Own(long n, Device device) => arange(Offset, Offset + n, ScalarType.Int64, device);

    public Tensor Partners(long n, Device device) => LocalPartners
        ? arange(Offset + n - 1, Offset - 1, -1, ScalarType.Int64, device)
        : arange(Rows - 1 - Offset, Rows - 1 - Offset - n, -1, ScalarType.Int64, device);

    /// <summary>λ of this rank's n rows and of their partners, from the λ the mixer drew: for the global
    /// batch ([Rows]) with global partners, else for the rank's rows ([n]).</summary>
    public (Tensor Own, Tensor Partner) Lambdas(Tensor lambda, long n)
    {
        if (lambda.shape[0] == n) return (lambda, Partner.Rows(lambda));
        return (lambda.narrow(0, Offset, n), Partner.Rows(lambda).narrow(0, Offset, n));
    }
}
