using Pretrain.Distributed;
using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>Launch detection on the variables each launcher was seen to set (docs: shared/notes/distributed.md §1.6).</summary>
public class LaunchEnvironmentTests
{
    static LaunchEnvironment From(params (string Key, string Value)[] vars)
        => LaunchEnvironment.From(vars.ToDictionary(v => v.Key, v => (string?)v.Value));

    [Fact]
    public void NoLauncherVariablesMeansNotLaunched()
    {
        var e = From(("HOME", "/root"), ("PATH", "/usr/bin"), ("RANK", "3"), ("WORLD_SIZE", "4"));
        Assert.False(e.IsLaunched);
        Assert.Null(e.WorldSize);
        Assert.Equal(0, e.LocalRank);
        Assert.Null(e.CheckWorldSize(1, "Open MPI 4.1.4"));
    }

    [Fact]
    public void OpenMpiMpirun()
    {
        var e = From(("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"),
                     ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"), ("OMPI_COMM_WORLD_NODE_RANK", "1"), ("PMIX_RANK", "3"));
        Assert.True(e.IsLaunched);
        Assert.Equal("mpirun (Open MPI)", e.Launcher);
        Assert.Equal(4, e.WorldSize);
        Assert.Equal(3, e.Rank);
        Assert.Equal(1, e.LocalRank);
        Assert.Equal(2, e.LocalWorldSize);
        Assert.Equal(MpiFlavor.OpenMpi, e.PreferredMpi);
        Assert.False(e.IsSlurmWithoutPmi);
    }

    [Fact]
    public void OpenMpiWinsOverTheSlurmAllocationItRunsIn()
    {
        var e = From(("OMPI_COMM_WORLD_SIZE", "8"), ("OMPI_COMM_WORLD_RANK", "5"), ("SLURM_NTASKS", "2"), ("SLURM_PROCID", "0"));
        Assert.Equal("mpirun (Open MPI)", e.Launcher);
        Assert.Equal(8, e.WorldSize);
        Assert.Equal(5, e.Rank);
    }

    [Fact]
    public void MpichHydra()
    {
        var e = From(("PMI_RANK", "1"), ("PMI_SIZE", "2"), ("MPI_LOCALRANKID", "1"), ("MPI_LOCALNRANKS", "2"));
        Assert.True(e.IsLaunched);
        Assert.Equal("mpiexec (hydra)", e.Launcher);
        Assert.Equal(2, e.WorldSize);
        Assert.Equal(1, e.Rank);
        Assert.Equal(1, e.LocalRank);
        Assert.Equal(2, e.LocalWorldSize);
        Assert.Equal(MpiFlavor.Mpich, e.PreferredMpi);
    }

    [Fact]
    public void SlurmWithPmix()
    {
        var e = From(("SLURM_PROCID", "5"), ("SLURM_NTASKS", "8"), ("SLURM_LOCALID", "1"), ("SLURM_NODEID", "2"),
                     ("SLURM_STEP_TASKS_PER_NODE", "2(x3),1"), ("PMIX_RANK", "5"));
        Assert.True(e.IsLaunched);
        Assert.Equal("srun --mpi=pmix", e.Launcher);
        Assert.Equal(8, e.WorldSize);
        Assert.Equal(5, e.Rank);
        Assert.Equal(1, e.LocalRank);
        Assert.Equal(2, e.LocalWorldSize);
        Assert.Equal(MpiFlavor.OpenMpi, e.PreferredMpi);
        Assert.False(e.IsSlurmWithoutPmi);
    }

    [Fact]
    public void SlurmWithPmi2PrefersMpich()
    {
        var e = From(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2"), ("SLURM_LOCALID", "0"), ("SLURM_NTASKS_PER_NODE", "2"),
                     ("PMI_RANK", "0"), ("PMI_SIZE", "2"));
        Assert.Equal("srun --mpi=pmi2", e.Launcher);
        Assert.Equal(2, e.WorldSize);
        Assert.Equal(2, e.LocalWorldSize);
        Assert.Equal(MpiFlavor.Mpich, e.PreferredMpi);
    }

    [Fact]
    public void SlurmWithoutPmiAndSeveralTasksIsLaunchedSoMpiCanBeAsked()
    {
        var e = From(("SLURM_PROCID", "1"), ("SLURM_NTASKS", "2"), ("SLURM_LOCALID", "1"), ("SLURM_NODEID", "0"), ("SLURM_TASKS_PER_NODE", "2"));
        Assert.True(e.IsLaunched);
        Assert.True(e.IsSlurmWithoutPmi);
        Assert.Equal("srun without --mpi", e.Launcher);
        Assert.Equal(2, e.WorldSize);
        Assert.Equal(1, e.Rank);
        Assert.Equal(1, e.LocalRank);
        Assert.Equal(2, e.LocalWorldSize);
    }

    [Fact]
    public void ASingleSlurmTaskIsAnOrdinaryProcess()
    {
        Assert.False(From(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "1"), ("SLURM_LOCALID", "0")).IsLaunched);
        Assert.False(From(("SLURM_JOB_ID", "17")).IsLaunched);
    }

    [Fact]
    public void WorldSizeCheckNamesTheMissingSrunFlagOnOneLine()
    {
        var e = From(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "2"));
        var message = e.CheckWorldSize(1, "MPICH 4.0.2 (libmpich.so.12)");
        Assert.NotNull(message);
        Assert.DoesNotContain('\n', message);
        Assert.Contains("SLURM_NTASKS=2", message);
        Assert.Contains("MPICH 4.0.2 (libmpich.so.12) sees a world of 1", message);
        Assert.Contains("`srun --mpi=pmix`", message);
        Assert.Contains("`srun --mpi=pmi2`", message);
        Assert.Null(e.CheckWorldSize(2, "MPICH 4.0.2"));
    }

    [Fact]
    public void WorldSizeCheckBlamesMismatchedImplementationsUnderMpirun()
    {
        var e = From(("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_RANK", "0"));
        var message = e.CheckWorldSize(1, "MPICH 4.0.2 (libmpich.so.12)");
        Assert.Equal("mpirun (Open MPI) started 2 processes (OMPI_COMM_WORLD_SIZE=2) but MPICH 4.0.2 (libmpich.so.12) sees a world of 1: " +
                     "the launcher and the MPI library are from different implementations; launch with the library's own mpirun/mpiexec " +
                     "or name the matching library in PRETRAIN_MPI_LIBRARY", message);
        Assert.Null(e.CheckWorldSize(2, "Open MPI 4.1.4"));
    }

    [Fact]
    public void WorldSizeCheckUnderSrunWithTheWrongPmiNamesBothFlags()
    {
        var message = From(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "4"), ("PMI_RANK", "0"), ("PMI_SIZE", "4")).CheckWorldSize(1, "Open MPI 4.1.4");
        Assert.Equal("srun --mpi=pmi2 started 4 tasks (PMI_SIZE=4) but Open MPI 4.1.4 sees a world of 1: the PMI type does not fit the library; " +
                     "Open MPI needs `srun --mpi=pmix`, MPICH `srun --mpi=pmi2`", message);
    }

    [Fact]
    public void UnparsableNumbersCountAsUnknown()
    {
        var e = From(("OMPI_COMM_WORLD_SIZE", "two"), ("OMPI_COMM_WORLD_LOCAL_RANK", "-1"));
        Assert.True(e.IsLaunched);
        Assert.Null(e.WorldSize);
        Assert.Equal(0, e.LocalRank);
        Assert.Null(e.CheckWorldSize(3, "Open MPI 4.1.4"));
    }

    [Theory]
    [InlineData("2(x3),1", 0, 2)]
    [InlineData("2(x3),1", 2, 2)]
    [InlineData("2(x3),1", 3, 1)]
    [InlineData("2(x3),1", 4, null)]
    [InlineData("4", 0, 4)]
    [InlineData("1,3(x2)", 2, 3)]
    [InlineData("x", 0, null)]
    public void SlurmTaskListsAreReadPerNode(string list, int node, int? expected)
        => Assert.Equal(expected, LaunchEnvironment.SlurmTasksOnNode(list, node));
}
