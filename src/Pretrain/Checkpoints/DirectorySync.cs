using System.Runtime.InteropServices;

namespace Pretrain.Checkpoints;

/// <summary>
/// fsync of a directory, so a rename into it survives a power loss. .NET has no API for it; on
/// Linux and macOS we open the directory read-only and fsync the descriptor. Best effort: failures
/// (other systems, file systems that refuse it) are ignored because the data file itself is synced.
/// </summary>
internal static class DirectorySync
{
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);

    public static void TrySync(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            int fd = Open(directory, 0 /* O_RDONLY */);
            if (fd < 0) return;
            Fsync(fd);
            Close(fd);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }
}
