using Pretrain.Config;

namespace Pretrain.Data;

/// <summary>One output crop of one sample: a region of the stored image (stored-pixel coordinates),
/// resampled to Size×Size and written as RGB HWC at Offset of Destination.</summary>
public readonly record struct CropJob(ResampleBox Box, int Size, ResampleFilter Filter, bool Flip, byte[] Destination, int Offset);
