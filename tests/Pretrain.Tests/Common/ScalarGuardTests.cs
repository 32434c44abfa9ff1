using Pretrain.Common;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pretrain.Tests.Common;

[Collection(TorchGlobalState.Name)]
public class ScalarGuardTests(ITestOutputHelper output)
{
    [Fact]
    public void TheGuardIsActiveAndEveryScalarGoesThroughIt()
    {
        using var x = ones(3);
        using var y = x.mul(2.5);   // one implicit Scalar
        Assert.True(ScalarGuard.Active, ScalarGuard.Problem);
        Assert.Null(ScalarGuard.Problem);
        ulong before = ScalarGuard.DeferredTotal;
        for (int i = 0; i < 100; i++)
        {
            var s = i.ToScalar();   // created and disposed explicitly: through the guard
            s.Dispose();
        }
        Assert.True(ScalarGuard.DeferredTotal >= before + 100, $"{ScalarGuard.DeferredTotal - before} of 100 disposals seen");
        Assert.Equal(new[] { 2.5f, 2.5f, 2.5f }, y.data<float>().ToArray());
    }

    /// <summary>
    /// The race itself: an op with an implicit Scalar argument in a loop while another thread forces
    /// collections. Without the guard (PRETRAIN_SCALAR_GUARD=0) this failed within a second here (53,459
    /// calls, "Expected false to be true … toDouble"; 9,999 in a second try): the finalizer freed the Scalar
    /// the op was reading. In the whole suite the collections are slower and the loop makes fewer calls.
    /// </summary>
    [Fact]
    public void AnOpsImplicitScalarSurvivesCollectionsOnAnotherThread()
    {
        using var x = arange(16, dtype: ScalarType.Float32).reshape(4, 4);
        float Step()
        {
            using var y = x.clamp_min(5);
            return y.min().item<float>();
        }
        Assert.Equal(5f, Step());   // compiled before the collections start (a JIT under a GC storm crawls)
        var stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.KeepAlive(new byte[64 * 1024]);
                GC.Collect(0);
            }
        });
        collector.Start();
        long calls = 0;
        string? error = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (calls < 20_000 && clock.Elapsed.TotalSeconds < 5)
            {
                if (Step() != 5f) throw new InvalidOperationException("clamp_min(5) gave a minimum other than 5");
                calls++;
            }
        }
        catch (Exception e) { error = e.Message.Split('\n')[0]; }
        finally
        {
            Volatile.Write(ref stop, true);
            collector.Join();
        }
        output.WriteLine($"{calls} calls under concurrent collections; error: {error ?? "none"}");
        Assert.Null(error);
        Assert.True(calls >= 100, $"only {calls} calls in 5 s");
    }
}
