using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pretrain.Training;

/// <summary>
/// Appends training metrics to `metrics.jsonl` in the run folder (one JSON object per call with `step`,
/// `epoch` and the scalars as top-level keys, flushed at once so a crash loses nothing) and, when asked,
/// to TensorBoard event files under `tb/`. Non-finite values are written as the strings "NaN",
/// "Infinity", "-Infinity", since JSON has no literal for them and a NaN loss must stay visible.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    readonly object gate = new();
    StreamWriter? jsonl;
    // Made at the first scalar, so that a resume's purge record (DropRowsAfter) is in an earlier event file.
    SummaryWriter? tensorboard;

    private MetricsWriter() => JsonlPath = "";

    /// <summary>A writer that writes nothing: the ranks other than 0 of a data-parallel run (one writer).</summary>
    public static MetricsWriter None() => new();

    public MetricsWriter(string runDir, bool tensorboard)
    {
        Directory.CreateDirectory(runDir);
        JsonlPath = Path.Combine(runDir, "metrics.jsonl");
        jsonl = Open(JsonlPath);
        if (tensorboard)
        {
            TensorboardDir = Path.Combine(runDir, "tb");
            Directory.CreateDirectory(TensorboardDir);
        }
    }

    public string JsonlPath { get; }

    /// <summary>The TensorBoard log folder, or null when TensorBoard output is off.</summary>
    public string? TensorboardDir { get; }

    public void Write(long step, int epoch, IReadOnlyDictionary<string, double> scalars)
    {
        if (scalars.ContainsKey("step") || scalars.ContainsKey("epoch"))
            throw new ArgumentException("metric names 'step' and 'epoch' are reserved", nameof(scalars));
        if (jsonl is null) return;

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("step", step);
            json.WriteNumber("epoch", epoch);
            foreach (var (name, value) in scalars)
            {
                if (double.IsFinite(value)) json.WriteNumber(name, value);
                else json.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            }
            json.WriteEndObject();
        }
        var line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());

        lock (gate)
        {
            jsonl.WriteLine(line);
            jsonl.Flush();
            if (TensorboardDir is not null)
            {
                tensorboard ??= utils.tensorboard.SummaryWriter(TensorboardDir);
                // TensorBoard event steps are 32-bit in TorchSharp's writer.
                int tbStep = (int)Math.Min(step, int.MaxValue);
                foreach (var (name, value) in scalars) tensorboard.add_scalar(name, (float)value, tbStep);
            }
        }
    }

    /// <summary>
    /// Drops the rows of steps after <paramref name="step"/> (a resume from that step's checkpoint: a run
    /// that crashed after logging later steps would otherwise log them twice). Rewritten through a temp
    /// file and an atomic rename. TensorBoard event files are append-only, so there a purge record
    /// (<see cref="TensorboardPurge"/>) tells TensorBoard to drop the points after the step.
    /// </summary>
    public void DropRowsAfter(long step)
    {
        if (jsonl is null) return;
        lock (gate)
        {
            if (TensorboardDir is not null && Directory.EnumerateFiles(TensorboardDir, "events.out.tfevents.*").Any())
            {
                TensorboardPurge.Write(TensorboardDir, step + 1);
                tensorboard = null;   // later scalars go to a newer file than the purge record
            }
            jsonl.Dispose();
            var kept = File.ReadLines(JsonlPath).Where(line => RowStep(line) is not long s || s <= step).ToList();
            var tmp = JsonlPath + ".tmp";
            File.WriteAllLines(tmp, kept);
            File.Move(tmp, JsonlPath, overwrite: true);
            jsonl = Open(JsonlPath);
        }
    }

    private static StreamWriter Open(string path) => new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));

    private static long? RowStep(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt64(out var v) ? v : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        lock (gate) jsonl?.Dispose();
    }
}
