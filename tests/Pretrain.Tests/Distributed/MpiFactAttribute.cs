using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>A fact that needs a real MPI launcher: skipped, with the reason in the test report, when
/// its executable is not on PATH (a machine without Open MPI), instead of failing or passing vacuously.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    public MpiFactAttribute()
    {
        if (MpiJob.Find(MpiJob.OpenMpiLauncher) is null)
            Skip = $"{MpiJob.OpenMpiLauncher} is not on PATH (apt-get install openmpi-bin libopenmpi-dev)";
    }
}

/// <summary>Like <see cref="MpiFactAttribute"/>, for MPICH's launcher (and Open MPI's as well with <paramref name="alsoOpenMpi"/>).</summary>
public sealed class MpichFactAttribute : FactAttribute
{
    public MpichFactAttribute(bool alsoOpenMpi = false)
    {
        if (MpiJob.Find(MpiJob.MpichLauncher) is null)
            Skip = $"{MpiJob.MpichLauncher} is not on PATH (apt-get install mpich libmpich-dev)";
        else if (alsoOpenMpi && MpiJob.Find(MpiJob.OpenMpiLauncher) is null)
            Skip = $"{MpiJob.OpenMpiLauncher} is not on PATH (apt-get install openmpi-bin libopenmpi-dev)";
    }
}
