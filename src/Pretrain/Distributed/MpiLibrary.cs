using System.Runtime.InteropServices;
using Pretrain.Config;

namespace Pretrain.Distributed;

/// <summary>
/// Finds and loads the MPI library at run time, so the tool builds and runs without MPI installed and
/// one binary serves Open MPI and MPICH-family clusters. The ABI is decided by the library's exports,
/// not its file name: upstream MPICH and Intel MPI install libmpi.so.12, which is not Open MPI's libmpi.so.40.
/// </summary>
internal static class MpiLibrary
{
    public const string OverrideVariable = "PRETRAIN_MPI_LIBRARY";

    const string OpenMpiSoname = "libmpi.so.40";
    static readonly string[] MpichSonames = ["libmpi.so.12", "libmpich.so.12"];

    /// <summary>The files to try, in order: the override alone when one is given (a named library that
    /// fails to load is an error, not a reason to pick another); otherwise the launcher's own family first.</summary>
    public static IReadOnlyList<string> Candidates(MpiFlavor preferred, string? overridePath)
    {
        if (!string.IsNullOrWhiteSpace(overridePath)) return [overridePath.Trim()];
        return preferred == MpiFlavor.Mpich ? [.. MpichSonames, OpenMpiSoname] : [OpenMpiSoname, .. MpichSonames];
    }

    /// <summary>Loads the first candidate that is an MPI library of a known ABI. Throws a one-line
    /// <see cref="UserInputException"/> naming what was tried when none is.</summary>
    public static MpiAbi Load(IReadOnlyList<string> candidates, string launcher)
    {
        DisableUcxSignalHandlers();
        var tried = new List<string>();
        foreach (var path in candidates)
        {
            if (!NativeLibrary.TryLoad(path, out var handle)) { tried.Add($"{path} (not found)"); continue; }
            // The library stays loaded for the life of the process: MPI cannot be unloaded safely.
            if (NativeLibrary.TryGetExport(handle, OpenMpiAbi.MarkerExport, out _)) return new OpenMpiAbi(handle, path);
            if (NativeLibrary.TryGetExport(handle, MpichAbi.MarkerExport, out _)) return new MpichAbi(handle, path);
            tried.Add($"{path} (not Open MPI or MPICH: neither {OpenMpiAbi.MarkerExport} nor {MpichAbi.MarkerExport} is exported)");
        }
        throw new UserInputException(
            $"the process was started by {launcher}, but no MPI library could be loaded (tried {string.Join(", ", tried)}): " +
            $"install Open MPI (apt-get install openmpi-bin libopenmpi-dev) or MPICH, or name the library in {OverrideVariable}");
    }

    /// <summary>
    /// UCX (under MPICH here, and under Open MPI's pml ucx on InfiniBand) installs handlers for SIGSEGV
    /// and SIGFPE, which .NET needs to raise NullReferenceException and DivideByZeroException: with them
    /// a caught exception kills the process. An empty UCX_ERROR_SIGNALS tells UCX to install none. libucs
    /// reads it in a load-time constructor, so it must be in the C environment before libmpi is loaded.
    /// </summary>
    public static void DisableUcxSignalHandlers() => LibcEnvironment.Set("UCX_ERROR_SIGNALS", "");
}
