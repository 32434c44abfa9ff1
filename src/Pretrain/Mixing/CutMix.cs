using static TorchSharp.torch;

namespace Pretrain.Mixing;

/// <summary>CutMix with the reversed batch: sample i's box is filled with the same region of x_p(i).
/// All boxes are applied at once through per-sample masks.</summary>
public static class CutMix
{
    /// <param name="x">[n, C, H, W]</param>
    /// <param name="boxes">one box per sample (empty boxes leave the sample unchanged).</param>
    public static Tensor Apply(Tensor x, IReadOnlyList<MixBox> boxes)
    {
        MixInput.Validate(x, boxes);
        var mask = BoxMask.Build(MixBox.ToTensor(boxes, x.device), x.shape[2], x.shape[3]);
        return where(mask, Partner.Rows(x), x);
    }
}
