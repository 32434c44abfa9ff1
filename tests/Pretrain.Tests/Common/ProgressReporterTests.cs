using Pretrain.Common;
using Xunit;

namespace Pretrain.Tests.Common;

public class ProgressReporterTests
{
    sealed class FakeClock
    {
        public TimeSpan Now;
        public TimeSpan Read() => Now;
        public void At(double seconds) => Now = TimeSpan.FromSeconds(seconds);
    }

    sealed class RecordingSink(double seconds) : IProgressSink
    {
        public readonly List<string> Updates = [];
        public readonly List<string> Done = [];
        public TimeSpan Interval { get; } = TimeSpan.FromSeconds(seconds);
        void IProgressSink.Update(string line) => Updates.Add(line);
        void IProgressSink.Done(string line) => Done.Add(line);
    }

    [Fact]
    public void LineShowsCountPercentRateAndEta()
    {
        var clock = new FakeClock { Now = TimeSpan.FromSeconds(100) };        // the reporter measures from its start
        var r = new ProgressReporter(null, "features train", 60_000, clock: clock.Read);
        Assert.Equal("features train: 0/60,000 (0%) - img/s ETA --:--:--", r.Line());
        clock.At(115);
        r.Advance(12_800);
        Assert.Equal(12_800 / 15.0, r.Rate, 9);
        Assert.Equal(47_200 * 15.0 / 12_800, r.Eta!.Value.TotalSeconds, 3);   // 55.3 s
        Assert.Equal("features train: 12,800/60,000 (21%) 853 img/s ETA 00:00:55", r.Line());
        clock.At(170);
        r.Advance(47_200);
        Assert.Equal("features train: 60,000/60,000 (100%) 857 img/s in 00:01:10", r.FinalLine());
    }

    [Fact]
    public void SlowRatesKeepADecimalAndPercentRoundsDown()
    {
        var clock = new FakeClock();
        var r = new ProgressReporter(null, "knn", 1000, unit: "queries", clock: clock.Read);
        clock.At(4);
        r.Advance(10);
        Assert.Equal("knn: 10/1,000 (1%) 2.5 queries/s ETA 00:06:36", r.Line());
        r.Advance(989);
        Assert.Equal("knn: 999/1,000 (99%) 250 queries/s ETA 00:00:00", r.Line());
    }

    [Theory]
    [InlineData(0, "00:00:00")]
    [InlineData(59.9, "00:00:59")]
    [InlineData(3 * 3600 + 25 * 60 + 7, "03:25:07")]
    [InlineData(30 * 3600, "1d 06:00:00")]
    [InlineData(100 * 86400 + 61, "100d 00:01:01")]
    [InlineData(-5, "00:00:00")]
    public void DurationShowsDaysFrom24Hours(double seconds, string expected) =>
        Assert.Equal(expected, ProgressFormat.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void EtaOfADayAndMoreShowsDays()
    {
        var clock = new FakeClock();
        var r = new ProgressReporter(null, "features train", 1_000_000, clock: clock.Read);
        clock.At(100);
        r.Advance(1_000);                                                       // 10 img/s: 999,000 left = 99,900 s
        Assert.Equal("features train: 1,000/1,000,000 (0%) 10.0 img/s ETA 1d 03:45:00", r.Line());
    }

    [Fact]
    public void UpdatesComeOnlyEveryIntervalAndTheFinalLineOnce()
    {
        var clock = new FakeClock();
        var sink = new RecordingSink(30);
        var r = new ProgressReporter(sink, "features val", 800, clock: clock.Read);
        foreach (var t in new[] { 0, 10, 29.9, 30, 45, 59.9, 61, 70 })
        {
            clock.At(t);
            r.Advance(100);
        }
        Assert.Equal(["features val: 400/800 (50%) 13.3 img/s ETA 00:00:30", "features val: 700/800 (87%) 11.5 img/s ETA 00:00:08"], sink.Updates);
        Assert.Empty(sink.Done);
        clock.At(80);
        r.Finish();
        r.Finish();
        r.Advance(1);                                                           // after the end: counted, not reported
        Assert.Equal(["features val: 800/800 (100%) 10.0 img/s in 00:01:20"], sink.Done);
        Assert.Equal(2, sink.Updates.Count);
    }

    [Fact]
    public void ZeroIntervalUpdatesOnEveryAdvance()
    {
        var clock = new FakeClock();
        var sink = new RecordingSink(0);
        var r = new ProgressReporter(sink, "x", 3, clock: clock.Read);
        var seen = r.Observe(new[] { 1, 1, 1 }, n => n).ToList();
        Assert.Equal([1, 1, 1], seen);
        Assert.Equal(["x: 1/3 (33%) - img/s ETA --:--:--", "x: 2/3 (66%) - img/s ETA --:--:--", "x: 3/3 (100%) - img/s ETA --:--:--"], sink.Updates);
        Assert.Equal(["x: 3/3 (100%) - img/s in 00:00:00"], sink.Done);          // Observe finishes at the end
    }

    [Fact]
    public void LineSinkCanDropTheFinalLineOfAQuickTask()
    {
        var lines = new List<string>();
        var quiet = new LineProgressSink(lines.Add, TimeSpan.FromSeconds(30), quietShortTasks: true);
        var clock = new FakeClock();
        var quick = new ProgressReporter(quiet, "quick", 10, clock: clock.Read);
        clock.At(5);
        quick.Advance(10);
        quick.Finish();
        Assert.Empty(lines);
        var slow = new ProgressReporter(quiet, "slow", 10, clock: clock.Read);
        clock.At(40);
        slow.Advance(10);
        slow.Finish();
        Assert.Equal(["slow: 10/10 (100%) 0.3 img/s ETA 00:00:00", "slow: 10/10 (100%) 0.3 img/s in 00:00:35"], lines);

        var all = new List<string>();
        var r = new ProgressReporter(new LineProgressSink(all.Add, TimeSpan.FromSeconds(30)), "all", 1, clock: clock.Read);
        r.Advance(1);
        r.Finish();
        Assert.Equal(["all: 1/1 (100%) - img/s in 00:00:00"], all);
    }
}
