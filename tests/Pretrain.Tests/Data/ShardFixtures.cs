using System.Formats.Tar;
using Pretrain.Data;

namespace Pretrain.Tests.Data;

/// <summary>Tiny labelled image folders and hand-made tar shards for the shard tests.</summary>
internal static class ShardFixtures
{
    /// <summary>root/c{class}/img{i}.png: <paramref name="perClass"/> noisy 20×16 PNGs per class, all different.</summary>
    public static string LabelledFolder(TestFiles files, int classes, int perClass, string name = "folder")
    {
        for (int c = 0; c < classes; c++)
        for (int i = 0; i < perClass; i++)
        {
            int seed = c * 1000 + i;
            files.Write(TestFiles.Encode(20, 16, (x, y) => Noise(seed, x, y)), name, $"c{c}", $"img{i:D3}.png");
        }
        return files.Path(name);
    }

    public static (byte R, byte G, byte B) Noise(int seed, int x, int y)
    {
        uint h = (uint)(seed * 73856093) ^ (uint)(x * 19349663) ^ (uint)(y * 83492791);
        h ^= h >> 13; h *= 0x5bd1e995; h ^= h >> 15;
        return ((byte)h, (byte)(h >> 8), (byte)(h >> 16));
    }

    /// <summary>A tar of the given members, in order (the WebDataset layout when names pair up by key).</summary>
    public static string Tar(string path, params (string Name, byte[] Data)[] members)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var fs = File.Create(path);
        using var w = new TarWriter(fs, TarEntryFormat.Ustar);
        foreach (var (name, data) in members)
            w.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        return path;
    }

    public static byte[] Cls(long label) => System.Text.Encoding.ASCII.GetBytes(label.ToString());

    /// <summary>Shards of plain solid-colour samples: shard s holds sizes[s] samples with keys s_i, label (s + i) % 3.</summary>
    public static string UnevenShards(TestFiles files, int[] sizes, string name = "uneven")
    {
        for (int s = 0; s < sizes.Length; s++)
        {
            var members = new List<(string, byte[])>();
            for (int i = 0; i < sizes[s]; i++)
            {
                members.Add(($"s{s}_{i:D3}.png", TestFiles.Encode(8, 8, (_, _) => ((byte)(s * 40), (byte)i, 7))));
                members.Add(($"s{s}_{i:D3}.cls", Cls((s + i) % 3)));
            }
            Tar(files.Path(name, $"part-{s:D4}.tar"), members.ToArray());
        }
        return files.Path(name);
    }
}
