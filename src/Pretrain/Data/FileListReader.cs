using System.Globalization;

namespace Pretrain.Data;

/// <summary>A text file of `path[,label]` lines; paths relative to the list's folder; blank lines and
/// lines starting with # are skipped. Without labels the split is unlabeled (-1).</summary>
public static class FileListReader
{
    public static EncodedFileSplit Read(string listPath, IImageDecoder decoder)
    {
        if (!File.Exists(listPath)) throw new DataException($"file list not found: {listPath}");
        var folder = Path.GetDirectoryName(Path.GetFullPath(listPath))!;
        var paths = new List<string>();
        var labels = new List<long>();
        int lineNo = 0;
        foreach (var raw in File.ReadLines(listPath))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int comma = line.LastIndexOf(',');
            long label = -1;
            string rel = line;
            if (comma >= 0)
            {
                var tail = line[(comma + 1)..].Trim();
                if (!long.TryParse(tail, NumberStyles.Integer, CultureInfo.InvariantCulture, out label) || label < 0)
                    throw new DataException($"{listPath}:{lineNo}: label '{tail}' is not a non-negative integer");
                rel = line[..comma].Trim();
            }
            paths.Add(Path.GetFullPath(Path.Combine(folder, rel)));
            labels.Add(label);
        }
        if (paths.Count == 0) throw new DataException($"file list is empty: {listPath}");
        bool labeled = labels.Any(l => l >= 0);
        if (labeled && labels.Any(l => l < 0))
            throw new DataException($"file list mixes labeled and unlabeled lines: {listPath}");
        var classes = labeled
            ? Enumerable.Range(0, (int)labels.Max() + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray()
            : [];
        return new EncodedFileSplit($"filelist {listPath}", paths.ToArray(), labels.ToArray(), classes, decoder);
    }
}
