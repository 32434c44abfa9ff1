using System.Globalization;

namespace Pretrain.Data;

/// <summary>A text file of `path[,label]` lines; paths relative to the list's folder; blank lines and
/// lines starting with # are skipped. Without labels the split is unlabeled (-1). A label is an integer,
/// or, when <c>classNames</c> are given (the val list of an image folder: ImageNet's flat val/), a class
/// name such as `n01440764`, turned into that class's index.</summary>
public static class FileListReader
{
    public static EncodedFileSplit Read(string listPath, IImageDecoder decoder, IReadOnlyList<string>? classNames = null)
    {
        var byName = classNames?.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => (long)x.i, StringComparer.Ordinal);
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
                if (byName is not null && byName.TryGetValue(tail, out var named)) label = named;
                else if (!long.TryParse(tail, NumberStyles.Integer, CultureInfo.InvariantCulture, out label) || label < 0)
                    throw new DataException(byName is null
                        ? $"{listPath}:{lineNo}: label '{tail}' is not a non-negative integer"
                        : $"{listPath}:{lineNo}: label '{tail}' is neither a class of the train folder ({byName.Count} classes, e.g. '{classNames![0]}') nor a class index");
                if (byName is not null && label >= byName.Count)
                    throw new DataException($"{listPath}:{lineNo}: label {label} is past the train folder's {byName.Count} classes");
                rel = line[..comma].Trim();
            }
            paths.Add(Path.GetFullPath(Path.Combine(folder, rel)));
            labels.Add(label);
        }
        if (paths.Count == 0) throw new DataException($"file list is empty: {listPath}");
        bool labeled = labels.Any(l => l >= 0);
        if (labeled && labels.Any(l => l < 0))
            throw new DataException($"file list mixes labeled and unlabeled lines: {listPath}");
        IReadOnlyList<string> classes = !labeled ? []
            : classNames ?? Enumerable.Range(0, (int)labels.Max() + 1).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        return new EncodedFileSplit($"filelist {listPath}", paths.ToArray(), labels.ToArray(), classes, decoder);
    }
}
