using Pretrain.Reports;
using Xunit;

namespace Pretrain.Tests.Reports;

public class MetricsLogTests
{
    [Fact]
    public void MergesRepeatedStepsLaterRowWinsAndKeepsNonFinite()
    {
        var log = MetricsLog.Parse(RunFolderFixtures.MetricsA().Split('\n'));

        Assert.Equal(1, log.SkippedLines); // the torn line; the blank last line is not counted
        Assert.Equal(new long[] { 5, 10, 15, 20, 25, 30, 35, 40 }, log.Rows.Select(r => r.Step));
        // Resumed run: the later rows of steps 25 and 30 win.
        Assert.Equal(5 - 25 * 0.02, log.Rows.Single(r => r.Step == 25).Values["loss"], 12);
        Assert.Equal(5 - 30 * 0.02, log.Rows.Single(r => r.Step == 30).Values["loss"], 12);
        // The monitor's row at an epoch end merges into the training row of that step.
        var s20 = log.Rows.Single(r => r.Step == 20);
        Assert.Equal(41.5, s20.Values["knn_top1"]);
        Assert.Equal(4 - 20 * 0.02, s20.Values["loss"], 12);
        var s35 = log.Rows.Single(r => r.Step == 35);
        Assert.True(double.IsNaN(s35.Values["loss"]));
        Assert.Equal(double.PositiveInfinity, s35.Values["loss_mix"]);
        Assert.Equal(4 - 40 * 0.02, log.Last("loss")!.Value, 12);
        Assert.Equal(20, log.StepsPerEpoch());
        Assert.Equal("loss", log.Keys[0]);
        Assert.Contains("knn_top5", log.Keys);
    }

    [Fact]
    public void SkipsLinesThatAreNotMetricObjects()
    {
        var log = MetricsLog.Parse(["[1,2]", "{\"epoch\":0,\"loss\":1}", "{\"step\":\"x\"}", "not json", "{\"step\":3,\"epoch\":0,\"loss\":\"-Infinity\",\"note\":true}"]);
        Assert.Equal(4, log.SkippedLines);
        var row = Assert.Single(log.Rows);
        Assert.Equal(double.NegativeInfinity, row.Values["loss"]);
        Assert.False(row.Values.ContainsKey("note"));
        Assert.Null(log.StepsPerEpoch()); // one epoch: no bound from above
    }

    [Fact]
    public void MovingAverageIsTrailing()
    {
        Assert.Equal(new[] { 1.0, 1.5, 2.5, 3.5 }, RunPlot.MovingAverage([1, 2, 3, 4], 2));
        Assert.Equal(new[] { 1.0, 2.0 }, RunPlot.MovingAverage([1, 2], 1));
    }
}
