using System.Diagnostics;
using System.Globalization;

namespace Pretrain.Common;

/// <summary>
/// Where the progress of a long operation goes. The library never writes to the console: the caller
/// (the CLI) decides whether updates rewrite one terminal line or become periodic log lines.
/// </summary>
public interface IProgressSink
{
    /// <summary>The least time between two <see cref="Update"/> calls of one task (zero: after every advance).</summary>
    TimeSpan Interval { get; }

    /// <summary>An intermediate state of a task, e.g. <c>features train: 12,800/60,000 (21%) 850 img/s ETA 00:00:55</c>.</summary>
    void Update(string line);

    /// <summary>The last line of a task (once, when it ends).</summary>
    void Done(string line);
}

/// <summary>Every update and the final line as one plain line each (log files, pipes, SLURM output).</summary>
/// <param name="quietShortTasks">drop the final line of a task that ended before its first update (the
/// pretraining run's k-NN monitor and final probe: no extra lines when they are quick).</param>
public sealed class LineProgressSink(Action<string> write, TimeSpan interval, bool quietShortTasks = false) : IProgressSink
{
    private bool _updated;

    /// <summary>Seconds between two progress lines when not on a terminal, unless given: 30.</summary>
    public const double DefaultSeconds = 30;

    /// <summary>The variable that overrides <see cref="DefaultSeconds"/> (a number of seconds ≥ 0).</summary>
    public const string SecondsVariable = "PRETRAIN_PROGRESS_SECONDS";

    public TimeSpan Interval { get; } = interval;
    public void Update(string line)
    {
        _updated = true;
        write(line);
    }

    public void Done(string line)
    {
        if (!quietShortTasks || _updated) write(line);
        _updated = false;
    }

    /// <summary>The interval from <see cref="SecondsVariable"/> when set to a number ≥ 0, else <paramref name="fallbackSeconds"/>.</summary>
    public static TimeSpan IntervalFromEnvironment(double fallbackSeconds = DefaultSeconds)
    {
        var value = Environment.GetEnvironmentVariable(SecondsVariable);
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && double.IsFinite(s)
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(fallbackSeconds);
    }
}

/// <summary>
/// One task of known size (images, queries, ...): counts what is done, and hands the sink a line with
/// count, percent, rate and ETA at most every <see cref="IProgressSink.Interval"/>, plus a final line.
/// It only observes: nothing it does changes what the task computes.
/// </summary>
public sealed class ProgressReporter
{
    private readonly IProgressSink? _sink;
    private readonly Func<TimeSpan> _clock;
    private readonly TimeSpan _start;
    private TimeSpan _lastUpdate;
    private bool _done;

    /// <param name="sink">null: count only, report nothing.</param>
    /// <param name="clock">elapsed time source (tests pass a fake); default a stopwatch started now.</param>
    public ProgressReporter(IProgressSink? sink, string label, long total, string unit = "img", Func<TimeSpan>? clock = null)
    {
        _sink = sink;
        Label = label;
        Total = Math.Max(total, 0);
        Unit = unit;
        if (clock is null)
        {
            var watch = Stopwatch.StartNew();
            clock = () => watch.Elapsed;
        }
        _clock = clock;
        _start = _clock();
        _lastUpdate = _start;
    }

    public string Label { get; }
    public long Total { get; }
    public string Unit { get; }
    public long Done { get; private set; }
    public TimeSpan Elapsed => _clock() - _start;

    /// <summary>Units per second since the start; NaN before any time has passed.</summary>
    public double Rate
    {
        get
        {
            var s = Elapsed.TotalSeconds;
            return s > 0 ? Done / s : double.NaN;
        }
    }

    /// <summary>Time left at the rate so far; null while unknown (nothing done yet).</summary>
    public TimeSpan? Eta
    {
        get
        {
            var rate = Rate;
            if (Done <= 0 || !(rate > 0)) return null;
            var seconds = Math.Max(Total - Done, 0) / rate;
            return seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : null;
        }
    }

    /// <summary>Adds <paramref name="count"/> finished units; updates the sink when its interval has passed.</summary>
    public void Advance(long count)
    {
        Done += count;
        if (_sink is null || _done) return;
        var now = _clock();
        if (now - _lastUpdate < _sink.Interval) return;
        _lastUpdate = now;
        _sink.Update(Line());
    }

    /// <summary>Ends the task: the final line (count, rate, time taken). Further calls do nothing.</summary>
    public void Finish()
    {
        if (_done) return;
        _done = true;
        _sink?.Done(FinalLine());
    }

    /// <summary><c>LABEL: 12,800/60,000 (21%) 850 img/s ETA 00:00:55</c></summary>
    public string Line() =>
        $"{Label}: {Count()} {ProgressFormat.Rate(Rate, Unit)} ETA {(Eta is { } eta ? ProgressFormat.Duration(eta) : "--:--:--")}";

    /// <summary><c>LABEL: 60,000/60,000 (100%) 850 img/s in 00:01:10</c></summary>
    public string FinalLine() => $"{Label}: {Count()} {ProgressFormat.Rate(Rate, Unit)} in {ProgressFormat.Duration(Elapsed)}";

    private string Count() =>
        $"{ProgressFormat.Number(Done)}/{ProgressFormat.Number(Total)} ({ProgressFormat.Percent(Done, Total)})";

    /// <summary>Counts each item of <paramref name="items"/> (by <paramref name="size"/>) once the consumer is done
    /// with it, and finishes the reporter when the sequence ends.</summary>
    public IEnumerable<T> Observe<T>(IEnumerable<T> items, Func<T, long> size)
    {
        foreach (var item in items)
        {
            long n = size(item);              // read before the consumer disposes it
            yield return item;
            Advance(n);
        }
        Finish();
    }
}

/// <summary>Formatting shared by the progress lines and the training log (culture-invariant).</summary>
public static class ProgressFormat
{
    /// <summary><c>hh:mm:ss</c>, with whole days in front from 24 hours on: <c>1d 06:00:00</c>. Negative counts as zero.</summary>
    public static string Duration(TimeSpan t)
    {
        if (t < TimeSpan.Zero) t = TimeSpan.Zero;
        var total = (long)Math.Floor(t.TotalSeconds);
        long days = total / 86400, h = total / 3600 % 24, m = total / 60 % 60, s = total % 60;
        var hms = string.Create(CultureInfo.InvariantCulture, $"{h:00}:{m:00}:{s:00}");
        return days > 0 ? string.Create(CultureInfo.InvariantCulture, $"{days}d {hms}") : hms;
    }

    /// <summary>Thousands separated: <c>1,281,167</c>.</summary>
    public static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Whole percent, rounded down (100% only when all is done); <c>-</c> for an empty total.</summary>
    public static string Percent(long done, long total) =>
        total <= 0 ? "-%" : string.Create(CultureInfo.InvariantCulture, $"{Math.Min(100, 100 * Math.Max(done, 0) / total)}%");

    /// <summary><c>850 img/s</c> from 100/s on, one decimal below (<c>12.5 img/s</c>); <c>- img/s</c> while unknown.</summary>
    public static string Rate(double perSecond, string unit) =>
        double.IsNaN(perSecond) || double.IsInfinity(perSecond) ? $"- {unit}/s"
        : perSecond >= 100 ? $"{perSecond.ToString("N0", CultureInfo.InvariantCulture)} {unit}/s"
        : $"{perSecond.ToString("0.0", CultureInfo.InvariantCulture)} {unit}/s";
}
