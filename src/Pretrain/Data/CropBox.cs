namespace Pretrain.Data;

/// <summary>An integer crop rectangle in source pixels (torchvision's i, j, h, w as X = j, Y = i).</summary>
public readonly record struct CropBox(int X, int Y, int Width, int Height);
