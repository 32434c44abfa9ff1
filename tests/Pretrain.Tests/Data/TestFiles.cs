using SkiaSharp;

namespace Pretrain.Tests.Data;

/// <summary>Tiny image files in a temp folder, deleted on dispose.</summary>
public sealed class TestFiles : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("pretrain-data-").FullName;

    public string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>A solid-colour image encoded as PNG (or JPEG) at root/parts.</summary>
    public string Solid(int w, int h, byte r, byte g, byte b, params string[] parts) =>
        Write(Encode(w, h, (_, _) => (r, g, b)), parts);

    public string Write(byte[] bytes, params string[] parts)
    {
        var p = Path(parts);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    public static byte[] Encode(int w, int h, Func<int, int, (byte R, byte G, byte B)> color,
        SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 100)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            var (r, g, b) = color(x, y);
            bmp.SetPixel(x, y, new SKColor(r, g, b, 255));
        }
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(format, quality);
        return data.ToArray();
    }

    public static byte[] EncodeGray(int w, int h, byte v)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque));
        bmp.Erase(new SKColor(v, v, v));
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, true); } catch (IOException) { }
    }
}
