using System.Diagnostics;
using Pretrain.Checkpoints;
using static TorchSharp.torch;

namespace Pretrain.Tests.Distributed;

/// <summary>Runs the real `pretrain` command line as one process or as the two ranks of an Open MPI job,
/// on tiny configs, and reads back what the run left (checkpoint, log).</summary>
internal sealed class PretrainJob
{
    static string Cli => Path.Combine(AppContext.BaseDirectory, "pretrain.dll");

    public int ExitCode { get; private init; }
    public bool Exited { get; private init; }
    public TimeSpan Elapsed { get; private init; }
    public string Output { get; private init; } = "";
    public string Error { get; private init; } = "";

    public string Describe() => $"exit {ExitCode} after {Elapsed.TotalSeconds:F1} s\nstdout:\n{Tail(Output)}\nstderr:\n{Tail(Error)}";

    static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;

    /// <summary>`pretrain ARGS` as one process.</summary>
    public static PretrainJob Plain(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, int timeoutSeconds = 120)
        => Run(Start("dotnet", [Cli, .. args], env), timeoutSeconds);

    /// <summary>`mpirun -np RANKS dotnet pretrain.dll ARGS`.</summary>
    public static PretrainJob Mpi(IEnumerable<string> args, int ranks = 2, int timeoutSeconds = 180)
        => Run(StartMpi(args, ranks), timeoutSeconds);

    /// <summary>The job started but not awaited (for killing one of its ranks).</summary>
    public static Process StartMpi(IEnumerable<string> args, int ranks = 2) =>
        Start(MpiJob.OpenMpiLauncher, ["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(), "dotnet", Cli, .. args], null);

    /// <summary>`pretrain ARGS` started in <paramref name="workDir"/> and left running (to signal or kill it);
    /// its output is drained and dropped.</summary>
    public static Process Background(IEnumerable<string> args, string? workDir = null)
    {
        var p = Start("dotnet", [Cli, .. args], null, workDir);
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    static Process Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env, string? workDir = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workDir is not null) psi.WorkingDirectory = workDir;
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("OMPI_") || k.StartsWith("PMI") || k.StartsWith("SLURM_")).ToList())
            psi.Environment.Remove(key);
        psi.Environment["TERM"] = "dumb";
        psi.Environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }

    public static PretrainJob Run(Process p, int timeoutSeconds)
    {
        var sw = Stopwatch.StartNew();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        bool exited = p.WaitForExit(timeoutSeconds * 1000);
        if (!exited) p.Kill(entireProcessTree: true);
        p.WaitForExit();
        var job = new PretrainJob { Exited = exited, ExitCode = p.ExitCode, Elapsed = sw.Elapsed, Output = stdout.Result, Error = stderr.Result };
        p.Dispose();
        return job;
    }

    /// <summary>Every method-state tensor of one checkpoint of the run folder (the newest by default), as
    /// float32 values.</summary>
    public static Dictionary<string, float[]> MethodState(string runDir, string checkpoint = "latest")
    {
        using var scope = NewDisposeScope();
        var ckpt = CheckpointStore.Load(Path.Combine(runDir, "checkpoints", checkpoint + CheckpointStore.Extension));
        return ckpt.Tensors.Where(kv => kv.Key.StartsWith("method.") && kv.Value.dtype == ScalarType.Float32)
            .ToDictionary(kv => kv.Key, kv => kv.Value.cpu().contiguous().data<float>().ToArray());
    }

    public static double MaxAbs(IEnumerable<float[]> tensors) => tensors.SelectMany(t => t).Select(v => (double)Math.Abs(v)).DefaultIfEmpty(0).Max();

    /// <summary>max |a - b| per tensor.</summary>
    public static Dictionary<string, double> Differences(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.ToDictionary(kv => kv.Key, kv => kv.Value.Zip(b[kv.Key], (x, y) => (double)Math.Abs(x - y)).DefaultIfEmpty(0).Max());

    public static bool BitIdentical(Dictionary<string, float[]> a, Dictionary<string, float[]> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var o) && kv.Value.AsSpan().SequenceEqual(o));

    /// <summary>Process ids of the job's ranks (children of mpirun whose command line names the run folder).</summary>
    public static List<(int Pid, int Rank)> Ranks(string runDir)
    {
        var found = new List<(int, int)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var cmd = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (!cmd.Contains("pretrain.dll") || !cmd.Contains(runDir) || cmd.StartsWith(MpiJob.OpenMpiLauncher)) continue;
                var env = File.ReadAllText(Path.Combine(dir, "environ")).Split('\0');
                var rank = env.FirstOrDefault(e => e.StartsWith("OMPI_COMM_WORLD_RANK="));
                if (rank is not null) found.Add((pid, int.Parse(rank["OMPI_COMM_WORLD_RANK=".Length..])));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }
}
