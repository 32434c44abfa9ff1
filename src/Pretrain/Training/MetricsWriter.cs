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
    readonly StreamWriter? jsonl;
    readonly SummaryWriter? tensorboard;

    private MetricsWriter() => JsonlPath = "";

    /// <summary>A writer that writes nothing: the ranks other than 0 of a data-parallel run (one writer).</summary>
    public static MetricsWriter None() => new();

    public MetricsWriter(string runDir, bool tensorboard)
    {
        Directory.CreateDirectory(runDir);
        JsonlPath = Path.Combine(runDir, "metrics.jsonl");
        jsonl = new StreamWriter(new FileStream(JsonlPath, FileMode.Append, FileAccess.Write, FileShare.Read));
        if (tensorboard)
        {
            TensorboardDir = Path.Combine(runDir, "tb");
            Directory.CreateDirectory(TensorboardDir);
            this.tensorboard = utils.tensorboard.SummaryWriter(TensorboardDir);
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
            if (tensorboard is not null)
            {
                // TensorBoard event steps are 32-bit in TorchSharp's writer.
                int tbStep = (int)Math.Min(step, int.MaxValue);
                foreach (var (name, value) in scalars) tensorboard.add_scalar(name, (float)value, tbStep);
            }
        }
    }

    public void Dispose()
    {
        lock (gate) jsonl?.Dispose();
    }
}
