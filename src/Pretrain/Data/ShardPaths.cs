using System.Globalization;
using System.Text;

namespace Pretrain.Data;

/// <summary>Where the shard files of a split are: a folder (its *.tar files in ordinal order), one .tar
/// file, or a brace pattern — `train-{000000..001023}.tar` (a zero-padded range keeps its width) or
/// `{a,b}` lists, any number of them.</summary>
public static class ShardPaths
{
    public static IReadOnlyList<string> Resolve(string location)
    {
        if (location.Contains('{'))
        {
            var files = Expand(location);
            foreach (var f in files)
                if (!File.Exists(f)) throw new DataException($"shard not found: {f} (from the pattern {location})");
            return files;
        }
        if (Directory.Exists(location))
        {
            var tars = Directory.GetFiles(location, "*.tar").Order(StringComparer.Ordinal).ToArray();
            return tars.Length > 0 ? tars : throw new DataException($"no .tar shards in {location}");
        }
        if (File.Exists(location)) return [location];
        throw new DataException($"shard folder or file not found: {location}");
    }

    /// <summary>Brace expansion, left to right: `{A..B}` (decimal, width of A when A is zero-padded) and `{x,y,z}`.</summary>
    public static IReadOnlyList<string> Expand(string pattern)
    {
        int open = pattern.IndexOf('{');
        if (open < 0) return [pattern];
        int close = pattern.IndexOf('}', open);
        if (close < 0) throw new DataException($"unclosed '{{' in shard pattern {pattern}");
        var body = pattern[(open + 1)..close];
        var head = pattern[..open];
        var rest = Expand(pattern[(close + 1)..]);
        var parts = new List<string>();
        int dots = body.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0)
        {
            var a = body[..dots];
            var b = body[(dots + 2)..];
            if (!long.TryParse(a, NumberStyles.None, CultureInfo.InvariantCulture, out var lo)
                || !long.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var hi) || hi < lo)
                throw new DataException($"shard pattern {pattern}: '{{{body}}}' is not a range of non-negative integers A..B with A <= B");
            if (hi - lo >= 10_000_000) throw new DataException($"shard pattern {pattern}: range '{{{body}}}' names over 10 million files");
            int width = a.Length > 1 && a[0] == '0' ? a.Length : 0;
            for (long v = lo; v <= hi; v++) parts.Add(v.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
        }
        else parts.AddRange(body.Split(','));
        var result = new List<string>(parts.Count * rest.Count);
        var sb = new StringBuilder();
        foreach (var p in parts)
        foreach (var r in rest)
            result.Add(sb.Clear().Append(head).Append(p).Append(r).ToString());
        return result;
    }

    /// <summary>The folder a location's classes.txt would be in.</summary>
    public static string FolderOf(string location) =>
        Directory.Exists(location) ? location : Path.GetDirectoryName(Path.GetFullPath(location))!;
}
