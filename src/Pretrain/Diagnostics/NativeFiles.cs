using System.Text;
using System.Text.RegularExpressions;

namespace Pretrain.Diagnostics;

/// <summary>One version requirement of an ELF file (.gnu.version_r): the library it names, the version
/// and whether it is marked weak (VER_FLG_WEAK, which lets the file load without that version).</summary>
public sealed record VersionNeed(string File, string Version, bool Weak);

/// <summary>Reading the native files that decide whether TorchSharp loads: the GLIBCXX versions a
/// libstdc++ provides and the versions libLibTorchSharp.so needs. Pure functions of the bytes.</summary>
public static partial class NativeFiles
{
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";
    const ushort VerFlagWeak = 0x2;

    /// <summary>The GLIBCXX_x.y.z version names in a libstdc++ (its version definitions are plain
    /// strings in .dynstr), sorted by version.</summary>
    public static IReadOnlyList<string> GlibcxxVersions(ReadOnlySpan<byte> library)
    {
        var text = Encoding.Latin1.GetString(library);
        return GlibcxxName().Matches(text).Select(m => m.Value).Distinct()
            .OrderBy(v => Version.Parse(v["GLIBCXX_".Length..])).ToList();
    }

    /// <summary>The entries of .gnu.version_r of a 64-bit little-endian ELF file; empty when the file is
    /// not one or has no such section.</summary>
    public static IReadOnlyList<VersionNeed> VersionNeeds(byte[] d)
    {
        var needs = new List<VersionNeed>();
        try
        {
            if (d.Length < 64 || d[0] != 0x7f || d[1] != (byte)'E' || d[2] != (byte)'L' || d[3] != (byte)'F' || d[4] != 2 || d[5] != 1) return needs;
            long shoff = BitConverter.ToInt64(d, 0x28);
            int shentsize = BitConverter.ToUInt16(d, 0x3A), shnum = BitConverter.ToUInt16(d, 0x3C), shstrndx = BitConverter.ToUInt16(d, 0x3E);
            long SectionOffset(int i) => BitConverter.ToInt64(d, (int)(shoff + (long)i * shentsize + 0x18));
            uint SectionName(int i) => BitConverter.ToUInt32(d, (int)(shoff + (long)i * shentsize));
            string CString(long o)
            {
                int e = (int)o;
                while (d[e] != 0) e++;
                return Encoding.ASCII.GetString(d, (int)o, e - (int)o);
            }
            long shstr = SectionOffset(shstrndx), verneed = -1, dynstr = -1;
            for (int i = 0; i < shnum; i++)
            {
                var name = CString(shstr + SectionName(i));
                if (name == ".gnu.version_r") verneed = SectionOffset(i);
                else if (name == ".dynstr") dynstr = SectionOffset(i);
            }
            if (verneed < 0 || dynstr < 0) return needs;
            for (long off = verneed; ;)
            {
                int count = BitConverter.ToUInt16(d, (int)off + 2);
                var file = CString(dynstr + BitConverter.ToUInt32(d, (int)off + 4));
                uint aux = BitConverter.ToUInt32(d, (int)off + 8), next = BitConverter.ToUInt32(d, (int)off + 12);
                long a = off + aux;
                for (int k = 0; k < count; k++)
                {
                    ushort flags = BitConverter.ToUInt16(d, (int)a + 4);
                    uint nameOffset = BitConverter.ToUInt32(d, (int)a + 8), anext = BitConverter.ToUInt32(d, (int)a + 12);
                    needs.Add(new VersionNeed(file, CString(dynstr + nameOffset), (flags & VerFlagWeak) != 0));
                    if (anext == 0) break;
                    a += anext;
                }
                if (next == 0) break;
                off += next;
            }
        }
        catch (ArgumentException) { needs.Clear(); }
        catch (IndexOutOfRangeException) { needs.Clear(); }
        return needs;
    }

    /// <summary>The libstdc++ a process has mapped, from /proc/self/maps text; null when none is.</summary>
    public static string? MappedLibstdcxx(string? maps)
    {
        foreach (var line in (maps ?? "").Split('\n'))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var path = line[slash..].Trim();
            if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal)) return path;
        }
        return null;
    }

    /// <summary>GPU model names from the NVIDIA driver's /proc/driver/nvidia/gpus/*/information texts ("Model: ...").</summary>
    public static IReadOnlyList<string> NvidiaGpuNames(IEnumerable<string> informationTexts) =>
        informationTexts.Select(t => ModelLine().Match(t)).Where(m => m.Success).Select(m => m.Groups[1].Value.Trim()).ToList();

    /// <summary>The libtorch package and version a deps.json names, e.g. ("libtorch-cpu-linux-x64", "2.10.0").</summary>
    public static (string Package, string Version)? LibtorchPackage(string? depsJson)
    {
        var m = LibtorchDep().Match(depsJson ?? "");
        return m.Success ? (m.Groups[1].Value, m.Groups[2].Value) : null;
    }

    [GeneratedRegex(@"GLIBCXX_\d+\.\d+(\.\d+)?(?![\w.])")]
    private static partial Regex GlibcxxName();

    [GeneratedRegex(@"^Model:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex ModelLine();

    [GeneratedRegex(@"""(libtorch-[a-z0-9.\-]+?-linux-x64)/(\d+\.\d+\.\d+[^""]*)""")]
    private static partial Regex LibtorchDep();
}
