namespace Pretrain.Data;

/// <summary>A rectangle of pixels, [X0, X1) × [Y0, Y1).</summary>
public readonly record struct PixelRegion(int X0, int Y0, int X1, int Y1)
{
    public int Width => X1 - X0;
    public int Height => Y1 - Y0;
}

/// <summary>What a caller needs of an image, in stored-size coordinates: the least decoded size it can
/// use (a decoder that can decode at reduced scale, like JPEG's DCT scaling, may return anything at
/// least this large) and, optionally, the only region whose pixels it will read (a decoder may
/// return just a region containing it).</summary>
public readonly record struct DecodeRequest(int MinWidth, int MinHeight, PixelRegion? Region = null);

/// <summary>Given the stored size of an image, what the caller needs of it.</summary>
public delegate DecodeRequest DecodePlanner(int width, int height);

/// <summary>Turns an encoded image file into RGB pixels (grayscale, CMYK, palette and alpha formats
/// all come out as 3 colour channels).</summary>
public interface IImageDecoder
{
    /// <summary>Stored size without decoding pixels.</summary>
    (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded);

    /// <summary>Decodes; throws (any exception) for corrupt or unsupported data. When
    /// <paramref name="planner"/> is given it is called once with the stored size.</summary>
    PixelImage Decode(ReadOnlySpan<byte> encoded, DecodePlanner? planner = null);
}
