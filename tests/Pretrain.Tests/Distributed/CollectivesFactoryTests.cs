using Pretrain.Config;
using Pretrain.Distributed;
using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>The factory's choices that need no MPI job (those are in <see cref="MpiFailureTests"/> and
/// <see cref="OpenMpiCollectivesTests"/>). Nothing here initialises MPI in the test process.</summary>
public class CollectivesFactoryTests
{
    [Fact]
    public void WithoutALauncherTheWorldIsOneProcessEvenWhenNcclIsPreferred()
    {
        var env = new Dictionary<string, string?> { ["PATH"] = "/usr/bin", [Collectives.MpiLibraryVariable] = "libmpi.so.40" };
        using var a = Collectives.Create(env);
        using var b = Collectives.Create(env, preferNccl: true);
        Assert.IsType<SingleProcessCollectives>(a);
        Assert.IsType<SingleProcessCollectives>(b);
    }

    [Fact]
    public void LaunchedWithoutALoadableLibraryIsOneLineNamingWhatWasTriedAndHowToInstall()
    {
        var env = new Dictionary<string, string?>
        {
            ["OMPI_COMM_WORLD_SIZE"] = "2", ["OMPI_COMM_WORLD_RANK"] = "0",
            [Collectives.MpiLibraryVariable] = "/nonexistent/libmpi-missing.so",
        };
        var e = Assert.Throws<UserInputException>(() => Collectives.Create(env));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("started by mpirun (Open MPI)", e.Message);
        Assert.Contains("tried /nonexistent/libmpi-missing.so (not found)", e.Message);
        Assert.Contains("apt-get install openmpi-bin libopenmpi-dev", e.Message);
        Assert.Contains("PRETRAIN_MPI_LIBRARY", e.Message);
    }

    [Fact]
    public void ALibraryThatIsNotMpiIsRefusedByItsExports()
    {
        var env = new Dictionary<string, string?> { ["PMI_RANK"] = "0", ["PMI_SIZE"] = "2", [Collectives.MpiLibraryVariable] = "libc.so.6" };
        var e = Assert.Throws<UserInputException>(() => Collectives.Create(env));
        Assert.Contains("libc.so.6 (not Open MPI or MPICH: neither ompi_mpi_comm_world nor MPIR_Dup_fn is exported)", e.Message);
    }

    [Fact]
    public void TheLaunchersFamilyIsTriedFirstAndAnOverrideAlone()
    {
        Assert.Equal(["libmpi.so.40", "libmpi.so.12", "libmpich.so.12"], MpiLibrary.Candidates(MpiFlavor.OpenMpi, null));
        Assert.Equal(["libmpi.so.12", "libmpich.so.12", "libmpi.so.40"], MpiLibrary.Candidates(MpiFlavor.Mpich, " "));
        Assert.Equal(["/opt/intel/mpi/lib/libmpi.so.12"], MpiLibrary.Candidates(MpiFlavor.OpenMpi, "/opt/intel/mpi/lib/libmpi.so.12"));
    }

    [Theory]
    [InlineData("Open MPI", "Open MPI v4.1.4, package: Debian OpenMPI, ident: 4.1.4, repo rev: v4.1.4, May 26, 2022", "Open MPI 4.1.4")]
    [InlineData("MPICH", "MPICH Version:\t4.0.2\nMPICH Release date:\tThu Apr  7 12:34:45 CDT 2022\nMPICH ABI:\t14:2:2", "MPICH 4.0.2")]
    [InlineData("MPICH", "Intel(R) MPI Library 2021.6 for Linux* OS\n", "Intel(R) MPI Library 2021.6 for Linux* OS")]
    [InlineData("MPICH", "", "MPICH")]
    public void LibraryNamesComeFromTheVersionText(string family, string text, string expected)
        => Assert.Equal(expected, MpiCollectives.DescribeLibrary(family, text));

    [Fact]
    public void NcclWithoutItsLibraryFailsAtConstructionWithOneLine()
    {
        using var single = new SingleProcessCollectives();
        var e = Assert.Throws<UserInputException>(() => new NcclCollectives(single, "/nonexistent/libnccl.so.2"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("/nonexistent/libnccl.so.2 could not be loaded", e.Message);
        Assert.Contains("libnccl2", e.Message);
        Assert.Contains(Collectives.NcclLibraryVariable, e.Message);
    }

    [Theory]
    [InlineData(2804, "2.8.4")]     // NCCL_VERSION up to 2.8: X*1000 + Y*100 + Z
    [InlineData(21805, "2.18.5")]   // from 2.9: X*10000 + Y*100 + Z
    [InlineData(22703, "2.27.3")]
    public void NcclVersionCodesAreDecodedBothWays(int code, string expected)
        => Assert.Equal(expected, NcclLibrary.VersionText(code));

    [Fact]
    public void NcclUniqueIdIs128BytesAsInNcclH() => Assert.Equal(128, System.Runtime.CompilerServices.Unsafe.SizeOf<NcclUniqueId>());
}
