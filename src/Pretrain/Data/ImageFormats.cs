namespace Pretrain.Data;

/// <summary>Encoded image formats told apart by their first bytes.</summary>
public enum EncodedFormat { Unknown, Jpeg, Png, Gif, Bmp, Webp, Tiff, Pnm }

/// <summary>Recognises an encoded image by its magic bytes (never by a file name), and names the file
/// extension a format is stored under in a shard.</summary>
public static class ImageFormats
{
    public static EncodedFormat Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return EncodedFormat.Jpeg;
        if (b.Length >= 8 && b[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return EncodedFormat.Png;
        if (b.Length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8' && (b[4] == '7' || b[4] == '9') && b[5] == 'a') return EncodedFormat.Gif;
        if (b.Length >= 14 && b[0] == 'B' && b[1] == 'M') return EncodedFormat.Bmp;
        if (b.Length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') return EncodedFormat.Webp;
        if (b.Length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 42 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 42)))
            return EncodedFormat.Tiff;
        // BigTIFF (43) too: ImageSharp reads neither variant's every flavour, but it is the one to ask.
        if (b.Length >= 4 && ((b[0] == 'I' && b[1] == 'I' && b[2] == 43 && b[3] == 0) || (b[0] == 'M' && b[1] == 'M' && b[2] == 0 && b[3] == 43)))
            return EncodedFormat.Tiff;
        if (b.Length >= 3 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6' && IsPnmSpace(b[2])) return EncodedFormat.Pnm;
        return EncodedFormat.Unknown;
    }

    private static bool IsPnmSpace(byte c) => c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'#';

    /// <summary>The extension (no dot) a sample of this format gets in a shard; null when unknown.</summary>
    public static string? Extension(EncodedFormat f) => f switch
    {
        EncodedFormat.Jpeg => "jpg",
        EncodedFormat.Png => "png",
        EncodedFormat.Gif => "gif",
        EncodedFormat.Bmp => "bmp",
        EncodedFormat.Webp => "webp",
        EncodedFormat.Tiff => "tiff",
        EncodedFormat.Pnm => "ppm",
        _ => null,
    };
}
