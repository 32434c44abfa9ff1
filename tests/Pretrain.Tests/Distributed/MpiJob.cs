using System.Diagnostics;
using System.Text.Json;

namespace Pretrain.Tests.Distributed;

/// <summary>Runs tests/Pretrain.MpiCheck as the ranks of a real job (or as one plain process) and
/// reads back what each rank wrote.</summary>
internal sealed class MpiJob
{
    public const string OpenMpiLauncher = "mpirun";
    public const string MpichLauncher = "mpiexec.mpich";

    public int ExitCode { get; private init; }
    public bool Exited { get; private init; }
    public TimeSpan Elapsed { get; private init; }
    public string Output { get; private init; } = "";
    public string Error { get; private init; } = "";
    public string Folder { get; private init; } = "";

    static string CheckDll => Path.Combine(AppContext.BaseDirectory, "Pretrain.MpiCheck.dll");

    public static string? Find(string executable)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, executable)).FirstOrDefault(File.Exists);

    /// <summary>Two ranks under Open MPI's mpirun (root allowed, oversubscription allowed: CI runs as root on 2 cores).</summary>
    public static MpiJob OpenMpi(string scenario, int timeoutSeconds = 60, params string[] extra)
        => Run(OpenMpiLauncher, ["--allow-run-as-root", "--oversubscribe", "-np", "2", .. extra, "dotnet", CheckDll, scenario], timeoutSeconds, null);

    public static MpiJob Mpich(string scenario, int timeoutSeconds = 60)
        => Run(MpichLauncher, ["-n", "2", "dotnet", CheckDll, scenario], timeoutSeconds, null);

    /// <summary>One process without a launcher, with extra environment variables.</summary>
    public static MpiJob Plain(string scenario, IReadOnlyDictionary<string, string> env, int timeoutSeconds = 60)
        => Run("dotnet", [CheckDll, scenario], timeoutSeconds, env);

    static MpiJob Run(string file, string[] args, int timeoutSeconds, IReadOnlyDictionary<string, string>? env)
    {
        var folder = Path.Combine(Path.GetTempPath(), "pretrain-mpi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(folder);
        // The test process may itself run inside a job; its launcher's variables must not leak into this one.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("OMPI_") || k.StartsWith("PMI") || k.StartsWith("SLURM_") || k == "PRETRAIN_MPI_LIBRARY").ToList())
            psi.Environment.Remove(key);
        psi.Environment["TERM"] = "dumb"; // mpirun gives ranks a pty; .NET would print terminal escapes into the output
        psi.Environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;

        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        bool exited = p.WaitForExit(timeoutSeconds * 1000);
        if (!exited) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        var elapsed = sw.Elapsed;
        return new MpiJob
        {
            Exited = exited, ExitCode = p.ExitCode, Elapsed = elapsed, Folder = folder,
            Output = stdout.Result, Error = stderr.Result,
        };
    }

    public string Describe() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1} s\nstdout:\n{Output}\nstderr:\n{Error}";

    /// <summary>What rank r wrote (rank&lt;r&gt;.json).</summary>
    public JsonElement Rank(int r)
    {
        var file = Path.Combine(Folder, $"rank{r}.json");
        if (!File.Exists(file)) throw new Xunit.Sdk.XunitException($"rank {r} wrote no result; {Describe()}");
        return JsonDocument.Parse(File.ReadAllText(file)).RootElement;
    }
}
