using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>
/// SDMP pairs sample i with p(i) = n-1-i: the batch reversed. For odd n the middle sample is its own
/// partner. Partners always come from the unmixed batch, so flipping the input is enough.
/// </summary>
public static class Partner
{
    /// <summary>Row i of the result is row p(i) of <paramref name="batch"/> (a copy, never a view).</summary>
    public static Tensor Rows(Tensor batch) => batch.flip(0);
}
