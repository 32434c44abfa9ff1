namespace Pretrain.Tests.Config;

/// <summary>A temporary folder for config files written by a test; deleted on dispose.</summary>
public sealed class TempConfigDir : IDisposable
{
    public TempConfigDir()
    {
        Root = Path.Combine(Path.GetTempPath(), "pretrain-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes `text` to a file under the folder and returns its full path.</summary>
    public string Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text.Replace("\r\n", "\n"));
        return path;
    }

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
