using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Pretrain.Common;

/// <summary>
/// Guards against a use-after-free in TorchSharp 0.107: its wrappers pass <c>Scalar.Handle</c> to the native
/// op without keeping the managed <c>Scalar</c> alive (no <c>GC.KeepAlive</c>), so a garbage collection on
/// another thread during the call (a loader worker allocating, say) can finalize the implicit Scalar made
/// for a number argument (<c>x.clamp_min(1)</c>, <c>x * 0.5</c>, …), free its native block, and the op then
/// reads freed memory. Seen once in five quickstart runs as "Expected false to be true … toDouble at
/// Scalar.h:140" from <c>clamp_min</c> in ResizeMix, and in a second with a GC-heavy thread
/// (<c>ScalarGuardTests</c>).
///
/// The fix, without patching TorchSharp: a DllImport resolver maps TorchSharp's "LibTorchSharp" imports to
/// native/libpretrain_scalarguard.so (source beside it, src/Pretrain/native/scalar_guard.c). That library
/// depends on libLibTorchSharp.so, so every export resolves there, except <c>THSTorch_dispose_scalar</c>,
/// which keeps each Scalar for at least 200 ms before freeing it (a sweeper thread frees the expired ones every 50 ms). Numerics are untouched. It must be installed
/// before TorchSharp's first call (the CLI's first statement; the tests' module initializer);
/// PRETRAIN_SCALAR_GUARD=0 turns it off.
/// </summary>
public static class ScalarGuard
{
    public const string LibraryName = "libpretrain_scalarguard.so";
    private static readonly object Gate = new();
    private static bool _registered;
    private static IntPtr _handle;
    [ThreadStatic] private static bool _resolving;

    /// <summary>Why the guard is not active, or null when it is (set once TorchSharp has resolved its library).</summary>
    public static string? Problem { get; private set; } = "not installed";

    public static bool Active => _handle != IntPtr.Zero;

    public static void Install()
    {
        lock (Gate)
        {
            if (_registered) return;
            _registered = true;
            if (!OperatingSystem.IsLinux()) { Problem = "Linux only"; return; }
            if (Environment.GetEnvironmentVariable("PRETRAIN_SCALAR_GUARD") == "0") { Problem = "PRETRAIN_SCALAR_GUARD=0"; return; }
            Problem = "TorchSharp has not loaded its library yet";
            NativeLibrary.SetDllImportResolver(typeof(torch).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "LibTorchSharp" || _resolving) return IntPtr.Zero;
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return _handle;
            _resolving = true;
            try
            {
                // The real library first (by the default probing), so that the guard's dependency on its
                // soname finds it loaded.
                if (!NativeLibrary.TryLoad(name, assembly, searchPath, out _))
                {
                    Problem = "libLibTorchSharp.so not found by the default probing";
                    return IntPtr.Zero;
                }
                var path = Path.Combine(AppContext.BaseDirectory, "native", LibraryName);
                if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out _handle))
                {
                    Problem = $"{path} missing or not loadable";
                    return IntPtr.Zero;
                }
                Problem = null;
                return _handle;
            }
            finally { _resolving = false; }
        }
    }

    /// <summary>Scalars freed through the guard so far (0 when it is not active).</summary>
    public static unsafe ulong DeferredTotal => Active
        ? ((delegate* unmanaged[Cdecl]<ulong>)NativeLibrary.GetExport(_handle, "pretrain_scalarguard_deferred_total"))()
        : 0;
}
