namespace Pretrain.Config;

/// <summary>How file paths appear in messages: relative to the current directory when inside it.</summary>
public static class ConfigPaths
{
    public static string Display(string path)
    {
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative;
    }
}
