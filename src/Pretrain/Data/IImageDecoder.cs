namespace Pretrain.Data;

/// <summary>Given the stored size of an image, the least decoded size the caller can use (a decoder that
/// can decode at reduced scale, like JPEG's DCT scaling, may return anything at least this large).</summary>
public delegate (int Width, int Height) MinimumDecodeSize(int width, int height);

/// <summary>Turns an encoded image file into RGB pixels (grayscale, CMYK, palette and alpha formats
/// all come out as 3 colour channels).</summary>
public interface IImageDecoder
{
    /// <summary>Stored size without decoding pixels.</summary>
    (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded);

    /// <summary>Decodes; throws (any exception) for corrupt or unsupported data. When
    /// <paramref name="minimumSize"/> is given it is called once with the stored size.</summary>
    PixelImage Decode(ReadOnlySpan<byte> encoded, MinimumDecodeSize? minimumSize = null);
}
