using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Pretrain.Config;

namespace Pretrain.Checkpoints;

/// <summary>
/// An exclusive advisory lock on a folder that one process writes (a run folder, a linear-eval folder):
/// FOLDER/.lock, opened with open(2) and locked with flock(2, LOCK_EX | LOCK_NB), holding the holder's
/// pid, host and start time. The kernel drops the lock when the descriptor closes, which includes any
/// death of the process (SIGKILL, OOM kill, power-off of a node for a local disk), so a stale .lock file
/// never blocks a later run: only a live holder does. flock locks belong to the open file description,
/// so two locks taken on one folder conflict even inside one process. The file is left in place on
/// release (deleting it would let a third process lock a file the second one just opened).
/// </summary>
public sealed class RunFolderLock : IDisposable
{
    public const string FileName = ".lock";

    private const int O_RDONLY = 0x0, O_RDWR = 0x2, O_CREAT = 0x40, O_CLOEXEC = 0x80000; // Linux values
    private const int LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;
    private const int EINTR = 4, EWOULDBLOCK = 11;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    private SafeFileHandle? _handle;

    private RunFolderLock(string folder, string path, SafeFileHandle handle, string holder) =>
        (Folder, FilePath, _handle, Holder) = (folder, path, handle, holder);

    /// <summary>The locked folder (full path).</summary>
    public string Folder { get; }
    /// <summary>FOLDER/.lock.</summary>
    public string FilePath { get; }
    /// <summary>What was written into the lock file: "pid N on host H since T".</summary>
    public string Holder { get; }

    /// <summary>Creates <paramref name="folder"/> if needed and locks it, at once or not at all: held by
    /// another process (or another lock object of this one), it throws <see cref="RunFolderLockedException"/>
    /// naming the folder and the holder.</summary>
    public static RunFolderLock Acquire(string folder)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("run folder locks use Linux flock(2)");
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, FileName);
        int fd = Open(path, O_RDWR | O_CREAT | O_CLOEXEC, Convert.ToInt32("644", 8));
        if (fd < 0)
            throw new UserInputException($"{ConfigPaths.Display(folder)}: cannot open the lock file {FileName} ({Errno(Marshal.GetLastPInvokeError())})");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            int rc, errno;
            do
            {
                rc = Flock(fd, LOCK_EX | LOCK_NB);
                errno = rc < 0 ? Marshal.GetLastPInvokeError() : 0;
            } while (rc < 0 && errno == EINTR);
            if (rc < 0 && errno == EWOULDBLOCK)
                throw new RunFolderLockedException(folder, path, ReadHolder(handle));
            if (rc < 0)
                throw new UserInputException($"{ConfigPaths.Display(folder)}: cannot lock {FileName} ({Errno(errno)})");
            var holder = Describe(Environment.ProcessId, Environment.MachineName, DateTimeOffset.UtcNow);
            var bytes = Encoding.UTF8.GetBytes(holder + "\n");
            RandomAccess.Write(handle, bytes, 0);
            RandomAccess.SetLength(handle, bytes.Length);
            return new RunFolderLock(folder, path, handle, holder);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The holder line in FOLDER/.lock (null without one), read without taking any lock. .NET's own
    /// File.Read* would fail while the lock is held: on Linux it takes a shared flock on files it opens.</summary>
    public static string? Peek(string folder)
    {
        var path = Path.Combine(Path.GetFullPath(folder), FileName);
        int fd = Open(path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        var buffer = new byte[1024];
        int n = RandomAccess.Read(handle, buffer, 0);
        return Encoding.UTF8.GetString(buffer, 0, n).Trim();
    }

    /// <summary>"pid N on host H since T" (T in UTC, to the second).</summary>
    public static string Describe(int pid, string host, DateTimeOffset since) =>
        string.Create(CultureInfo.InvariantCulture, $"pid {pid} on host {host} since {since.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");

    /// <summary>The holder's line; it writes it right after locking, so an empty file is read again briefly.</summary>
    private static string ReadHolder(SafeFileHandle handle)
    {
        var buffer = new byte[1024];
        for (int attempt = 0; attempt < 10; attempt++)
        {
            int n = RandomAccess.Read(handle, buffer, 0);
            var text = Encoding.UTF8.GetString(buffer, 0, n).Trim();
            if (text.Length > 0) return text.ReplaceLineEndings(" ");
            Thread.Sleep(20);
        }
        return "a process that has not written its pid yet";
    }

    private static string Errno(int errno) => $"errno {errno}: {Marshal.GetPInvokeErrorMessage(errno)}";

    /// <summary>Releases the lock (closing the descriptor would too).</summary>
    public void Dispose()
    {
        var handle = Interlocked.Exchange(ref _handle, null);
        if (handle is null) return;
        if (!handle.IsInvalid && !handle.IsClosed) Flock((int)handle.DangerousGetHandle(), LOCK_UN);
        handle.Dispose();
    }
}

/// <summary>Another process (or another lock of this one) holds the folder's lock; the one-line message
/// names the folder and the holder. Exit code 2.</summary>
public sealed class RunFolderLockedException(string folder, string lockFile, string holder)
    : UserInputException($"{ConfigPaths.Display(folder)}: in use by another pretrain process ({holder}; flock on {ConfigPaths.Display(lockFile)}); " +
                         "wait for it to end or stop it, or write elsewhere with --output DIR")
{
    public string Folder { get; } = folder;
    public string Holder { get; } = holder;
}
