using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Pretrain.Distributed;

/// <summary>Which MPI ABI family a launcher belongs to, so its library is tried first.</summary>
public enum MpiFlavor
{
    OpenMpi,
    Mpich,
}

/// <summary>
/// What the launcher's environment variables say, read before MPI is initialised: whether to load MPI
/// at all, which library to try first, and the local rank (GPU choice, thread count) early. MPI's own
/// answer is authoritative afterwards; <see cref="CheckWorldSize"/> compares the two, because a launcher
/// and a library that do not speak the same PMI silently give N singletons, N independent trainings
/// writing the same checkpoints.
/// A pure function of the variables, so every launcher's case is testable on one machine.
/// </summary>
public sealed record LaunchEnvironment
{
    /// <summary>True when an MPI launcher (or Slurm with more than one task) started the process.</summary>
    public bool IsLaunched { get; init; }

    /// <summary>For messages: "mpirun (Open MPI)", "mpiexec (hydra)", "srun --mpi=pmix", "srun --mpi=pmi2",
    /// "srun without --mpi", "a PMIx launcher", or "no launcher".</summary>
    public string Launcher { get; init; } = "no launcher";

    /// <summary>The number of processes the launcher started, when it says.</summary>
    public int? WorldSize { get; init; }

    /// <summary>Where <see cref="WorldSize"/> came from, e.g. "SLURM_NTASKS=2".</summary>
    public string? WorldSizeSource { get; init; }

    public int? Rank { get; init; }

    /// <summary>This process's rank on its machine; 0 when the launcher does not say.</summary>
    public int LocalRank { get; init; }

    /// <summary>Processes on this machine, when the launcher says.</summary>
    public int? LocalWorldSize { get; init; }

    public MpiFlavor PreferredMpi { get; init; } = MpiFlavor.OpenMpi;

    /// <summary>Slurm started several tasks but set no PMI variables (srun without --mpi, or a plain
    /// command in a multi-task allocation): MPI will most likely see a world of one.</summary>
    public bool IsSlurmWithoutPmi { get; init; }

    bool IsSlurm { get; init; }

    public static readonly LaunchEnvironment NotLaunched = new();

    public static LaunchEnvironment From(IReadOnlyDictionary<string, string?> env)
    {
        string? Get(string k) => env.TryGetValue(k, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        int? Int(string k) => int.TryParse(Get(k), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : null;
        string Source(string k) => $"{k}={Get(k)}";

        bool slurm = Get("SLURM_PROCID") is not null || Get("SLURM_NTASKS") is not null;
        int? slurmLocalSize = Int("SLURM_NTASKS_PER_NODE")
            ?? SlurmTasksOnNode(Get("SLURM_STEP_TASKS_PER_NODE") ?? Get("SLURM_TASKS_PER_NODE"), Int("SLURM_NODEID") ?? 0);

        // Open MPI's mpirun (and Open MPI 5's prterun) sets its own complete set.
        if (Get("OMPI_COMM_WORLD_SIZE") is not null || Get("OMPI_COMM_WORLD_RANK") is not null)
            return new LaunchEnvironment
            {
                IsLaunched = true,
                Launcher = "mpirun (Open MPI)",
                WorldSize = Int("OMPI_COMM_WORLD_SIZE"),
                WorldSizeSource = Source("OMPI_COMM_WORLD_SIZE"),
                Rank = Int("OMPI_COMM_WORLD_RANK"),
                LocalRank = Int("OMPI_COMM_WORLD_LOCAL_RANK") ?? 0,
                LocalWorldSize = Int("OMPI_COMM_WORLD_LOCAL_SIZE"),
                PreferredMpi = MpiFlavor.OpenMpi,
                IsSlurm = slurm,
            };

        // PMI-1/PMI-2 variables: MPICH's hydra (also Intel MPI's), or srun --mpi=pmi2.
        if (Get("PMI_RANK") is not null || Get("PMI_SIZE") is not null)
        {
            var sizeKey = Get("PMI_SIZE") is not null ? "PMI_SIZE" : "SLURM_NTASKS";
            return new LaunchEnvironment
            {
                IsLaunched = true,
                Launcher = slurm ? "srun --mpi=pmi2" : "mpiexec (hydra)",
                WorldSize = Int(sizeKey),
                WorldSizeSource = Get(sizeKey) is null ? null : Source(sizeKey),
                Rank = Int("PMI_RANK"),
                LocalRank = Int("MPI_LOCALRANKID") ?? Int("SLURM_LOCALID") ?? 0,
                LocalWorldSize = Int("MPI_LOCALNRANKS") ?? slurmLocalSize,
                PreferredMpi = MpiFlavor.Mpich,
                IsSlurm = slurm,
            };
        }

        // PMIx without Open MPI's variables: srun --mpi=pmix. PMIx gives no size variable; Slurm does.
        if (Get("PMIX_RANK") is not null)
            return new LaunchEnvironment
            {
                IsLaunched = true,
                Launcher = slurm ? "srun --mpi=pmix" : "a PMIx launcher",
                WorldSize = Int("SLURM_NTASKS"),
                WorldSizeSource = Get("SLURM_NTASKS") is null ? null : Source("SLURM_NTASKS"),
                Rank = Int("PMIX_RANK"),
                LocalRank = Int("SLURM_LOCALID") ?? 0,
                LocalWorldSize = slurmLocalSize,
                PreferredMpi = MpiFlavor.OpenMpi,
                IsSlurm = slurm,
            };

        // Slurm alone. One task is an ordinary single process; several mean the user meant a parallel
        // run, so MPI is loaded to ask (Slurm's PMI-1 can serve an MPICH built for it even without --mpi),
        // and the size check turns the usual outcome, a world of one, into an error.
        if (Int("SLURM_NTASKS") is > 1)
            return new LaunchEnvironment
            {
                IsLaunched = true,
                Launcher = "srun without --mpi",
                WorldSize = Int("SLURM_NTASKS"),
                WorldSizeSource = Source("SLURM_NTASKS"),
                Rank = Int("SLURM_PROCID"),
                LocalRank = Int("SLURM_LOCALID") ?? 0,
                LocalWorldSize = slurmLocalSize,
                PreferredMpi = MpiFlavor.OpenMpi,
                IsSlurmWithoutPmi = true,
                IsSlurm = true,
            };

        return NotLaunched;
    }

    /// <summary>This process's environment as a dictionary for <see cref="From"/>.</summary>
    public static IReadOnlyDictionary<string, string?> ProcessVariables()
    {
        var d = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in Environment.GetEnvironmentVariables()) d[(string)e.Key] = (string?)e.Value;
        return d;
    }

    /// <summary>
    /// Null when MPI's world size agrees with the launcher (or the launcher does not say); otherwise the
    /// one-line reason to stop before training, naming the missing piece.
    /// </summary>
    public string? CheckWorldSize(int mpiWorldSize, string mpiName)
    {
        if (WorldSize is not int n || n == mpiWorldSize) return null;
        var seen = $"{mpiName} sees a world of {mpiWorldSize}";
        if (IsSlurmWithoutPmi)
            return $"Slurm started {n} tasks ({WorldSizeSource}) but {seen}, so each task would train alone: " +
                   "launch with `srun --mpi=pmix` (Open MPI) or `srun --mpi=pmi2` (MPICH), or set MpiDefault in slurm.conf";
        if (IsSlurm && Launcher.StartsWith("srun", StringComparison.Ordinal))
            return $"{Launcher} started {n} tasks ({WorldSizeSource}) but {seen}: the PMI type does not fit the library; " +
                   "Open MPI needs `srun --mpi=pmix`, MPICH `srun --mpi=pmi2`";
        return $"{Launcher} started {n} processes ({WorldSizeSource}) but {seen}: the launcher and the MPI library are from " +
               $"different implementations; launch with the library's own mpirun/mpiexec or name the matching library in {MpiLibrary.OverrideVariable}";
    }

    /// <summary>
    /// The task count on node <paramref name="nodeId"/> from Slurm's compressed list, e.g. "2(x3),1":
    /// nodes 0-2 run 2 tasks, node 3 runs 1. Null when the text is absent or malformed.
    /// </summary>
    internal static int? SlurmTasksOnNode(string? list, int nodeId)
    {
        if (list is null || nodeId < 0) return null;
        int node = 0;
        foreach (var part in list.Split(','))
        {
            var m = Regex.Match(part.Trim(), @"^(?<n>\d+)(\(x(?<r>\d+)\))?$");
            if (!m.Success) return null;
            int tasks = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            int repeat = m.Groups["r"].Success ? int.Parse(m.Groups["r"].Value, CultureInfo.InvariantCulture) : 1;
            if (nodeId < node + repeat) return tasks;
            node += repeat;
        }
        return null;
    }
}
