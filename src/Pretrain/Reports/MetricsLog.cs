using System.Globalization;
using System.Text.Json;

namespace Pretrain.Reports;

/// <summary>One logged step of a run: its epoch and every scalar logged at that step (non-finite values kept as NaN / ±∞).</summary>
public sealed record MetricsRow(long Step, int Epoch, IReadOnlyDictionary<string, double> Values);

/// <summary>
/// A run's `metrics.jsonl` read back: one row per step, in step order. The file is what
/// `Training.MetricsWriter` appends: one JSON object per line with `step`, `epoch` and the scalars as
/// top-level keys, non-finite values as the strings "NaN", "Infinity", "-Infinity". A resumed run
/// appends, so a step can appear twice (after a crash), and the epoch-end monitors write a second row at
/// the step of the epoch's last training row: rows of one step are merged key by key, the later line
/// winning. A line that is not such an object (a torn last line after a crash, say) is skipped and
/// counted in <see cref="SkippedLines"/>, never an error.
/// </summary>
public sealed class MetricsLog
{
    private MetricsLog(IReadOnlyList<MetricsRow> rows, IReadOnlyList<string> keys, int skipped)
    {
        Rows = rows;
        Keys = keys;
        SkippedLines = skipped;
    }

    public IReadOnlyList<MetricsRow> Rows { get; }

    /// <summary>Every metric name, in the order first seen.</summary>
    public IReadOnlyList<string> Keys { get; }

    /// <summary>Lines that were not a JSON object with a numeric `step` (blank lines are not counted).</summary>
    public int SkippedLines { get; }

    public static MetricsLog Read(string path) => Parse(File.ReadLines(path));

    public static MetricsLog Parse(IEnumerable<string> lines)
    {
        var bySteps = new SortedDictionary<long, (int Epoch, Dictionary<string, double> Values)>();
        var keys = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int skipped = 0;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (!TryParseLine(line, out long step, out int? epoch, out var values))
            {
                skipped++;
                continue;
            }
            if (!bySteps.TryGetValue(step, out var row))
            {
                row = (epoch ?? 0, new Dictionary<string, double>(StringComparer.Ordinal));
                bySteps[step] = row;
            }
            else if (epoch is { } e)
            {
                row = (e, row.Values);
                bySteps[step] = row;
            }
            foreach (var (k, v) in values)
            {
                row.Values[k] = v;
                if (seen.Add(k)) keys.Add(k);
            }
        }
        var rows = bySteps.Select(kv => new MetricsRow(kv.Key, kv.Value.Epoch, kv.Value.Values)).ToList();
        return new MetricsLog(rows, keys, skipped);
    }

    private static bool TryParseLine(string line, out long step, out int? epoch, out List<(string, double)> values)
    {
        step = 0;
        epoch = null;
        values = [];
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return false;
            bool hasStep = false;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "step")
                {
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt64(out step)) return false;
                    hasStep = true;
                }
                else if (p.Name == "epoch")
                {
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out int e)) epoch = e;
                }
                else if (Scalar(p.Value) is { } v)
                {
                    values.Add((p.Name, v));
                }
            }
            return hasStep;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A number, or one of the strings the writer uses for non-finite values; anything else is not a scalar.</summary>
    private static double? Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.Number => v.GetDouble(),
        JsonValueKind.String => v.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        },
        _ => null,
    };

    /// <summary>The rows that have <paramref name="key"/>, as (step, epoch, value).</summary>
    public IEnumerable<(long Step, int Epoch, double Value)> Series(string key) =>
        Rows.Where(r => r.Values.ContainsKey(key)).Select(r => (r.Step, r.Epoch, r.Values[key]));

    /// <summary>The last finite value of <paramref name="key"/>, or null.</summary>
    public double? Last(string key)
    {
        for (int i = Rows.Count - 1; i >= 0; i--)
            if (Rows[i].Values.TryGetValue(key, out var v) && double.IsFinite(v)) return v;
        return null;
    }

    public long? LastStep => Rows.Count == 0 ? null : Rows[^1].Step;

    /// <summary>
    /// Training steps per epoch as the rows imply: every row at step s logged in epoch e has
    /// e·S &lt; s ≤ (e+1)·S, so S ≥ max s/(e+1), which is exact when a row falls on an epoch end (the
    /// monitors' rows do). Null while every row is in one epoch (no bound from above).
    /// </summary>
    public double? StepsPerEpoch()
    {
        if (Rows.Count == 0 || Rows.Select(r => r.Epoch).Distinct().Count() < 2) return null;
        double lo = Rows.Max(r => (double)r.Step / (r.Epoch + 1));
        return lo > 0 ? Math.Ceiling(lo - 1e-9) : null;
    }
}
