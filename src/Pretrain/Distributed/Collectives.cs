using Pretrain.Config;

namespace Pretrain.Distributed;

/// <summary>Chooses the collectives for this process from how it was launched.</summary>
public static class Collectives
{
    /// <summary>Names the MPI library to load instead of the usual search (a soname or a path).</summary>
    public const string MpiLibraryVariable = MpiLibrary.OverrideVariable;

    /// <summary>Names the NCCL library to load instead of libnccl.so.2.</summary>
    public const string NcclLibraryVariable = NcclLibrary.OverrideVariable;

    /// <summary>
    /// <see cref="SingleProcessCollectives"/> when no launcher started the process; otherwise MPI, whose
    /// world is authoritative: when it disagrees with the launcher (srun without --mpi=pmix, a launcher
    /// of another implementation), a one-line <see cref="UserInputException"/> stops the run before any
    /// training. With <paramref name="preferNccl"/> and more than one rank, NCCL on top of MPI for CUDA
    /// tensors (each rank's GPU chosen through CUDA_VISIBLE_DEVICES, so call this before any CUDA use).
    /// </summary>
    /// <param name="env">The process's environment (<see cref="LaunchEnvironment.ProcessVariables"/>), or a test's.</param>
    public static ICollectives Create(IReadOnlyDictionary<string, string?> env, bool preferNccl = false)
    {
        ArgumentNullException.ThrowIfNull(env);
        var launch = LaunchEnvironment.From(env);
        if (!launch.IsLaunched) return new SingleProcessCollectives();

        // Open MPI under srun without PMI does not come up as a world of one: it aborts inside MPI_Init with
        // its own multi-line message. Say what is wrong before loading it (an MPICH named explicitly may
        // still reach Slurm's PMI-1 and answer for itself).
        if (launch.IsSlurmWithoutPmi && env.GetValueOrDefault(MpiLibraryVariable) is null)
            throw new UserInputException($"Slurm started {launch.WorldSize} tasks ({launch.WorldSizeSource}) without PMI, so each task would train alone: " +
                                         "launch with `srun --mpi=pmix` (Open MPI) or `srun --mpi=pmi2` (MPICH), or set MpiDefault in slurm.conf");
        var candidates = MpiLibrary.Candidates(launch.PreferredMpi, env.GetValueOrDefault(MpiLibraryVariable));
        var mpi = MpiCollectives.Initialize(candidates, launch.Launcher);
        try
        {
            if (launch.CheckWorldSize(mpi.WorldSize, $"{mpi.Name} ({mpi.LibraryPath})") is string mismatch)
                throw new UserInputException(mismatch);
            if (!preferNccl) return mpi;
            if (mpi.WorldSize == 1)
            {
                // One rank has nothing to exchange, on any device; the CPU-only MPI world would reject CUDA tensors.
                mpi.Dispose();
                return new SingleProcessCollectives();
            }
            GpuAssignment.Apply(mpi.LocalRank, mpi.LocalWorldSize);
            return new NcclCollectives(mpi, env.GetValueOrDefault(NcclLibraryVariable));
        }
        catch
        {
            mpi.Dispose();
            throw;
        }
    }

    /// <summary><see cref="Create(IReadOnlyDictionary{string, string?}, bool)"/> on this process's environment.</summary>
    public static ICollectives Create(bool preferNccl = false) => Create(LaunchEnvironment.ProcessVariables(), preferNccl);
}
