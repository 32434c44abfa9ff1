namespace Pretrain.Data;

/// <summary>Un-augmented images for feature extraction: resize shorter side, centre crop, uint8 HWC.</summary>
public sealed class EvalBatch
{
    public required int BatchIndex { get; init; }
    public required int[] SampleIndices { get; init; }
    public required long[] Labels { get; init; }
    /// <summary>Size·S·S·3 bytes, HWC, RGB, sample-major.</summary>
    public required byte[] Pixels { get; init; }
    public required int ImageSize { get; init; }
    public int Size => SampleIndices.Length;
}
