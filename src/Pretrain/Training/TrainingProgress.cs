using System.Diagnostics;

namespace Pretrain.Training;

/// <summary>Throughput bookkeeping between two log lines: step time, time spent waiting for data,
/// images per second and the ETA.</summary>
public sealed class TrainingProgress
{
    private readonly Stopwatch _window = Stopwatch.StartNew();
    private double _waitSeconds;
    private int _images;
    private int _steps;
    private double _secondsPerStep = double.NaN;

    public void AddWait(TimeSpan wait) => _waitSeconds += wait.TotalSeconds;

    public void AddStep(int images)
    {
        _images += images;
        _steps++;
    }

    public bool HasSteps => _steps > 0;

    /// <summary>Closes the window: returns (images/s, data-wait %), and remembers s/step for the ETA.</summary>
    public (double ImagesPerSec, double DataWaitPct) Close()
    {
        var elapsed = Math.Max(_window.Elapsed.TotalSeconds, 1e-9);
        var result = (_images / elapsed, 100.0 * _waitSeconds / elapsed);
        _secondsPerStep = elapsed / Math.Max(_steps, 1);
        _window.Restart();
        _waitSeconds = 0;
        _images = 0;
        _steps = 0;
        return result;
    }

    public TimeSpan Eta(long stepsLeft) => double.IsNaN(_secondsPerStep)
        ? TimeSpan.Zero
        : TimeSpan.FromSeconds(_secondsPerStep * Math.Max(stepsLeft, 0));
}
