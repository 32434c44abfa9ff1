using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>How a distributed run fails: fast, and with a message that says what to change.</summary>
public class MpiFailureTests
{
    [MpiFact]
    public void ARankKilledWithSigkillEndsTheWholeJobWithinAMinute()
    {
        // Rank 1 kills itself after both ranks passed a barrier; rank 0 keeps all-reducing for up to 120 s.
        var job = MpiJob.OpenMpi("die", timeoutSeconds: 90);
        Assert.True(job.Exited, $"mpirun still running after 90 s; {job.Describe()}");
        Assert.True(job.Elapsed < TimeSpan.FromSeconds(60), job.Describe());
        Assert.NotEqual(0, job.ExitCode);
        Assert.True(File.Exists(Path.Combine(job.Folder, "ready0")) && File.Exists(Path.Combine(job.Folder, "ready1")), "the kill must come after MPI init; " + job.Describe());
        Assert.False(File.Exists(Path.Combine(job.Folder, "survived0")), "rank 0 outlived its peer");
    }

    [MpiFact]
    public void SlurmTasksThatMpiSeesAsSingletonsStopWithOneLineNamingTheSrunFlag()
    {
        // srun without --mpi: Slurm says 2 tasks and sets no PMI variables. Open MPI would abort inside
        // MPI_Init under a real srun, so this is refused before MPI is loaded.
        var job = MpiJob.Plain("create", new Dictionary<string, string> { ["SLURM_NTASKS"] = "2", ["SLURM_PROCID"] = "0" });
        Assert.True(job.ExitCode == 2, job.Describe());
        var lines = job.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.Contains("SLURM_NTASKS=2", line);
        Assert.Contains("without PMI, so each task would train alone", line);
        Assert.Contains("srun --mpi=pmix", line);
        Assert.Contains("--mpi=pmi2", line);
        Assert.False(File.Exists(Path.Combine(job.Folder, "rank0.json")), "the run must stop before doing anything");
    }

    [MpichFact(alsoOpenMpi: true)]
    public void AnOpenMpiLaunchOfTheMpichLibraryStopsWithTheMismatch()
    {
        var job = MpiJob.OpenMpi("create", 60, "-x", "PRETRAIN_MPI_LIBRARY=libmpich.so.12");
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("mpirun (Open MPI) started 2 processes (OMPI_COMM_WORLD_SIZE=2) but MPICH", job.Error);
        Assert.Contains("sees a world of 1", job.Error);
        Assert.False(File.Exists(Path.Combine(job.Folder, "rank0.json")));
    }
}
