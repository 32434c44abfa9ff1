using Xunit;

namespace Pretrain.Tests.Distributed;

/// <summary>Runs the "collectives" scenario once under mpirun -np 2 (Open MPI), on first use.</summary>
public sealed class OpenMpiCollectivesRun
{
    readonly Lazy<MpiJob> job = new(() => MpiJob.OpenMpi("collectives"));
    internal MpiJob Job => job.Value;
}

/// <summary>Two real Open MPI ranks; every value is checked against its closed form (see <see cref="CollectivesResults"/>).</summary>
public class OpenMpiCollectivesTests(OpenMpiCollectivesRun run) : IClassFixture<OpenMpiCollectivesRun>
{
    [MpiFact]
    public void RanksKnowTheirPlaceAndTheLibrary() => CollectivesResults.Identity(run.Job, "Open MPI ");

    [MpiFact]
    public void AllReduceSumAverageChunkedAndCoalescedMatchTheClosedForm() => CollectivesResults.AllReduce(run.Job);

    [MpiFact]
    public void AllGatherConcatenatesInRankOrderAlsoInChunks() => CollectivesResults.AllGather(run.Job);

    [MpiFact]
    public void BroadcastCarriesTheRootsBytesFromRank0AndRank1() => CollectivesResults.Broadcast(run.Job);

    [MpiFact]
    public void BarrierWaitsForTheLateRank() => CollectivesResults.Barrier(run.Job);

    [MpiFact]
    public void ManagedExceptionsAreStillCaughtAfterMpiInitAndMisuseIsRejected() => CollectivesResults.ExceptionsAndChecks(run.Job);
}

/// <summary>The same scenario under MPICH's hydra (a UCX transport: the one where UCX_ERROR_SIGNALS matters).</summary>
public class MpichCollectivesTests
{
    [MpichFact]
    public void TwoMpichRanksGiveTheClosedFormsAndCatchExceptions()
    {
        var job = MpiJob.Mpich("collectives");
        CollectivesResults.Identity(job, "MPICH ");
        CollectivesResults.AllReduce(job);
        CollectivesResults.AllGather(job);
        CollectivesResults.Broadcast(job);
        CollectivesResults.Barrier(job);
        CollectivesResults.ExceptionsAndChecks(job);
    }
}
