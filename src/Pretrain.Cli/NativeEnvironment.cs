using System.Runtime.InteropServices;

namespace Pretrain.Cli;

/// <summary>
/// Sets variables in the C library's environment. Environment.SetEnvironmentVariable only changes
/// .NET's own copy, which native libraries such as libtorch's OpenMP never see.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>
    /// libtorch's OpenMP threads busy-wait between parallel regions by default, which starves the data
    /// loader threads sharing the cores (measured 3× slower steps); PASSIVE makes them sleep instead.
    /// </summary>
    public static void SetIfUnset(string name, string value)
    {
        if (OperatingSystem.IsWindows() || Environment.GetEnvironmentVariable(name) is not null) return;
        if (setenv(name, value, overwrite: 0) != 0)
            throw new InvalidOperationException($"setenv({name}) failed with errno {Marshal.GetLastPInvokeError()}");
        Environment.SetEnvironmentVariable(name, value);
    }

    [DllImport("libc", SetLastError = true)]
    static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libc")]
    static extern IntPtr getenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    /// <summary>The variable as native code sees it.</summary>
    public static string? GetNative(string name) => Marshal.PtrToStringUTF8(getenv(name));
}
