namespace Pretrain.Tests;

/// <summary>Files of the repository checkout the tests run from (README.md, scripts/).</summary>
public static class RepoFiles
{
    /// <summary>The folder holding pretrain.sln, found upwards from the test binaries.</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "pretrain.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("no pretrain.sln above " + AppContext.BaseDirectory);
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root(), .. parts]);
}
