namespace Pretrain.Data;

/// <summary>ImageNet layout root/&lt;class&gt;/**/&lt;image&gt; (labels = class folders in ordinal order, as
/// torchvision's ImageFolder), or a flat folder of images (unlabeled, labels -1).</summary>
public static class ImageFolderReader
{
    /// <summary>The files taken (which decoder reads one is decided by its content, data.decoder).</summary>
    public static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".tga", ".pbm", ".pgm", ".ppm", ".pnm"];

    public static bool IsImageFile(string path) =>
        Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static EncodedFileSplit Read(string root, IImageDecoder decoder)
    {
        if (!Directory.Exists(root)) throw new DataException($"image folder not found: {root}");
        var classDirs = Directory.GetDirectories(root)
            .Where(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Any(IsImageFile))
            .OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        var paths = new List<string>();
        var labels = new List<long>();
        string[] classes;
        if (classDirs.Length > 0)
        {
            classes = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
            for (int c = 0; c < classDirs.Length; c++)
            {
                foreach (var f in Directory.GetFiles(classDirs[c], "*", SearchOption.AllDirectories)
                             .Where(IsImageFile).OrderBy(f => f, StringComparer.Ordinal))
                {
                    paths.Add(f);
                    labels.Add(c);
                }
            }
        }
        else
        {
            classes = [];
            foreach (var f in Directory.GetFiles(root).Where(IsImageFile).OrderBy(f => f, StringComparer.Ordinal))
            {
                paths.Add(f);
                labels.Add(-1);
            }
        }
        if (paths.Count == 0)
            throw new DataException($"no images ({string.Join(", ", Extensions)}) in {root}");
        return new EncodedFileSplit($"imagefolder {root}", paths.ToArray(), labels.ToArray(), classes, decoder);
    }
}
