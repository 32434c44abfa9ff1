using System.Runtime.InteropServices;
using System.Text;

namespace Pretrain.Distributed;

/// <summary>
/// One loaded MPI library, called through function pointers. Open MPI and the MPICH family share the
/// C API but not the ABI: Open MPI's handles (MPI_Comm, MPI_Datatype, MPI_Op) are pointers to exported
/// globals, MPICH's are 32-bit integer constants, and MPI_IN_PLACE differs. The subclasses hold the
/// handle values and the function-pointer types for their ABI; handles travel as nint here either way.
/// Functions without handle arguments have the same signature in both and live in this base class.
/// </summary>
internal abstract unsafe class MpiAbi
{
    public const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED in both mpi.h files

    readonly delegate* unmanaged<int*, int> initialized;
    readonly delegate* unmanaged<int*, int> finalized;
    readonly delegate* unmanaged<int*, nint, int, int*, int> initThread;
    readonly delegate* unmanaged<int> finalize;
    readonly delegate* unmanaged<byte*, int*, int> getLibraryVersion;
    readonly delegate* unmanaged<int, byte*, int*, int> errorString;

    protected MpiAbi(nint library, string path)
    {
        Library = library;
        Path = path;
        initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        initThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        getLibraryVersion = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)Export("MPI_Error_string");
    }

    public nint Library { get; }

    /// <summary>The file name or path the library was loaded from.</summary>
    public string Path { get; }

    /// <summary>"Open MPI" or "MPICH" (the ABI family; Intel MPI and Cray MPICH report themselves in <see cref="LibraryVersion"/>).</summary>
    public abstract string Family { get; }

    public abstract nint World { get; }

    protected nint Export(string name)
        => NativeLibrary.TryGetExport(Library, name, out var f) ? f
            : throw new InvalidOperationException($"{Path} has no export {name}; it is not a usable MPI library");

    public bool IsInitialized() { int flag; Check(initialized(&flag), "MPI_Initialized"); return flag != 0; }

    public bool IsFinalized() { int flag; Check(finalized(&flag), "MPI_Finalized"); return flag != 0; }

    /// <summary>MPI_Init_thread(NULL, NULL, required, &provided): MPI allows null argc/argv, and .NET has no C argv to give.</summary>
    public int InitThread(int required) { int provided; Check(initThread(null, 0, required, &provided), "MPI_Init_thread"); return provided; }

    public void FinalizeMpi() => Check(finalize(), "MPI_Finalize");

    /// <summary>MPI_Get_library_version's text. MPICH's buffer limit is 8192, Open MPI's 256.</summary>
    public string LibraryVersion()
    {
        var buf = new byte[8192];
        int len;
        fixed (byte* p = buf) Check(getLibraryVersion(p, &len), "MPI_Get_library_version");
        // The returned length counts a trailing NUL in some versions.
        return Encoding.UTF8.GetString(buf, 0, Math.Clamp(len, 0, buf.Length)).TrimEnd('\0', '\n', ' ');
    }

    public abstract int CommRank(nint comm);
    public abstract int CommSize(nint comm);

    /// <summary>A new communicator of the ranks that share this machine's memory (MPI_COMM_TYPE_SHARED): its rank and size are the local ones.</summary>
    public abstract nint SplitShared(nint comm);
    public abstract void CommFree(nint comm);

    /// <summary>In-place sum of count floats (count ≤ int.MaxValue: MPI counts are int).</summary>
    public abstract void AllReduceSumFloat(float* buffer, int count, nint comm);
    public abstract void AllGatherFloat(float* send, int count, float* receive, nint comm);
    public abstract void BroadcastBytes(void* buffer, int count, int root, nint comm);
    public abstract void Barrier(nint comm);

    /// <summary>Turns an MPI error code into an exception. (With MPI's default error handler,
    /// MPI_ERRORS_ARE_FATAL, the library aborts the job before returning one; this covers the rest.)</summary>
    public void Check(int code, string function)
    {
        if (code == 0) return;
        var buf = new byte[1024];
        int len = 0;
        string text;
        fixed (byte* p = buf) text = errorString(code, p, &len) == 0 ? Encoding.UTF8.GetString(buf, 0, Math.Clamp(len, 0, buf.Length)).TrimEnd('\0') : "unknown error";
        throw new InvalidOperationException($"{function} failed in {Path}: {text} (error {code})");
    }
}
