using System.Runtime.InteropServices;

namespace Pretrain.Distributed;

/// <summary>
/// Sets variables in the C library's environment, which native libraries read. Environment.SetEnvironmentVariable
/// only changes .NET's own copy: libmpi, libucs and CUDA never see it.
/// </summary>
internal static class LibcEnvironment
{
    /// <summary>Sets the variable for native code and for .NET (.NET treats an empty value as "unset";
    /// native code sees the empty string).</summary>
    public static void Set(string name, string value)
    {
        if (OperatingSystem.IsWindows()) { Environment.SetEnvironmentVariable(name, value); return; }
        if (setenv(name, value, overwrite: 1) != 0)
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}");
        Environment.SetEnvironmentVariable(name, value);
    }

    /// <summary>The variable as native code sees it (null when unset).</summary>
    public static string? Get(string name)
        => OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(name) : Marshal.PtrToStringUTF8(getenv(name));

    [DllImport("libc", SetLastError = true)]
    static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc")]
    static extern nint getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);
}
