using Pretrain.Methods.Losses;
using Xunit;
using static TorchSharp.torch;

namespace Pretrain.Tests.Methods;

public class DinoCenterTests
{
    [Fact]
    public void StartsAtZeroAndMovesByMomentumTowardsTheBatchMean()
    {
        using var center = new DinoCenter(3, 0.9, CPU);
        GoldenFile.AssertClose([0, 0, 0], center.Value, 0, 0, "initial center");
        using (var scope = NewDisposeScope())
            center.Update(tensor(new float[] { 1, 2, 3, 3, 4, 5 }, [2, 3]));
        // The value must outlive the dispose scope the update ran in.
        GoldenFile.AssertClose([0.2, 0.3, 0.4], center.Value, 1e-7, 1e-6, "center after one step");
        center.Update(tensor(new float[] { 0, 0, 0 }, [1, 3]));
        GoldenFile.AssertClose([0.18, 0.27, 0.36], center.Value, 1e-7, 1e-6, "center after two steps");
    }

    [Fact]
    public void LoadRestoresACheckpointedValue()
    {
        using var center = new DinoCenter(4, 0.9, CPU);
        center.Load(tensor(new float[] { 1, -1, 2, -2 }));
        GoldenFile.AssertClose([1, -1, 2, -2], center.Value, 0, 0, "loaded center");
        Assert.Equal([1L, 4L], center.Value.shape);
        Assert.Throws<ArgumentException>(() => center.Load(zeros(3)));
    }
}
