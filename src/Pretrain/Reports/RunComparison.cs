using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pretrain.Reports;

/// <summary>One row of a comparison: a key and one value per run (null where the run has none).</summary>
public sealed record ComparisonRow(string Key, IReadOnlyList<JsonNode?> Values, IReadOnlyList<string> Texts);

/// <summary>
/// Runs side by side (`pretrain compare`): the config keys whose values differ (config.yaml flattened
/// to dotted keys; a key one run lacks counts as differing) and the final results: the final probe
/// (linear top-1, random init, k-NN), knn_eval top-1 per k, linear_eval best/last top-1, the last step,
/// wall time (when log.jsonl has timestamps), the last loss and images/s.
/// </summary>
public sealed class RunComparison
{
    private RunComparison(IReadOnlyList<RunReport> runs, IReadOnlyList<ComparisonRow> config, IReadOnlyList<ComparisonRow> results)
    {
        Runs = runs;
        ConfigDifferences = config;
        Results = results;
    }

    public IReadOnlyList<RunReport> Runs { get; }
    public IReadOnlyList<ComparisonRow> ConfigDifferences { get; }
    public IReadOnlyList<ComparisonRow> Results { get; }

    public static RunComparison Build(IReadOnlyList<RunReport> runs)
    {
        var keys = runs.SelectMany(r => r.Config.Keys).Distinct().Order(StringComparer.Ordinal);
        var config = new List<ComparisonRow>();
        foreach (var key in keys)
        {
            var values = runs.Select(r => r.Config.GetValueOrDefault(key)).ToList();
            if (values.All(v => v is not null && v.SameAs(values[0]))) continue;
            config.Add(new ComparisonRow(key, values.Select(v => v?.Json?.DeepClone()).ToList(), values.Select(v => v?.Text ?? "–").ToList()));
        }

        var results = new List<ComparisonRow>();
        void Add(string key, Func<RunReport, double?> pick, Func<double, string> format)
        {
            var v = runs.Select(pick).ToList();
            if (v.All(x => x is null)) return;
            results.Add(new ComparisonRow(key, v.Select(x => x is { } d ? (JsonNode)JsonValue.Create(d) : null).ToList(),
                v.Select(x => x is { } d ? format(d) : "–").ToList()));
        }
        static string Pct(double d) => d.ToString("F2", CultureInfo.InvariantCulture);
        int probeK = runs.Select(r => r.Probe?.KnnK).FirstOrDefault(k => k is not null) ?? 20;
        Add("final_probe.linear_top1", r => r.Probe?.LinearTop1, Pct);
        Add("final_probe.random_init_linear_top1", r => r.Probe?.RandomInitLinearTop1, Pct);
        Add($"final_probe.knn{probeK}_top1", r => r.Probe?.KnnTop1, Pct);
        Add($"final_probe.random_init_knn{probeK}_top1", r => r.Probe?.RandomInitKnnTop1, Pct);
        foreach (int k in runs.SelectMany(r => r.Knn.Select(x => x.K)).Distinct().Order())
            Add($"knn_eval.k{k}_top1", r => r.Knn.Where(x => x.K == k).Select(x => (double?)x.Top1).FirstOrDefault(), Pct);
        Add("linear_eval.best_top1", r => r.LinearEval?.BestTop1, Pct);
        Add("linear_eval.last_top1", r => r.LinearEval?.LastTop1, Pct);
        Add("knn_monitor.last_knn_top1", r => r.Metrics.Last("knn_top1"), Pct);
        Add("last_step", r => r.Metrics.LastStep, d => d.ToString("F0", CultureInfo.InvariantCulture));
        Add("wall_time_s", r => r.WallTime?.TotalSeconds is { } s ? Math.Round(s, 1) : null, FormatDuration);
        Add("last_loss", r => r.Metrics.Last("loss"), d => d.ToString("F4", CultureInfo.InvariantCulture));
        Add("last_images_per_sec", r => r.Metrics.Last("images_per_sec") is { } d ? Math.Round(d, 1) : null, d => d.ToString("F1", CultureInfo.InvariantCulture));
        return new RunComparison(runs, config, results);
    }

    public static string FormatDuration(double seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m{t.Seconds:D2}s"
             : t.TotalMinutes >= 1 ? $"{t.Minutes}m{t.Seconds:D2}s"
             : $"{seconds.ToString("F1", CultureInfo.InvariantCulture)}s";
    }

    /// <summary>One JSON object: `runs` (name, path), `config` and `results` as key → values (one per run, in run order; null where absent).</summary>
    public JsonObject ToJson()
    {
        static JsonObject Rows(IEnumerable<ComparisonRow> rows)
        {
            var o = new JsonObject();
            foreach (var r in rows) o[r.Key] = new JsonArray(r.Values.Select(v => v?.DeepClone()).ToArray());
            return o;
        }
        return new JsonObject
        {
            ["runs"] = new JsonArray(Runs.Select(r => (JsonNode)new JsonObject { ["name"] = r.Name, ["path"] = r.Path }).ToArray()),
            ["config"] = Rows(ConfigDifferences),
            ["results"] = Rows(Results),
        };
    }

    public string ToJsonText() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Two aligned text tables (differing config keys, results) with the run names as columns.</summary>
    public string ToText()
    {
        var sb = new StringBuilder();
        AppendText(sb, "config (differing keys)", ConfigDifferences, "(no config key differs)");
        sb.AppendLine();
        AppendText(sb, "results", Results, "(no results)");
        return sb.ToString();
    }

    private void AppendText(StringBuilder sb, string title, IReadOnlyList<ComparisonRow> rows, string empty)
    {
        var header = new[] { title }.Concat(Runs.Select(r => r.Name)).ToList();
        if (rows.Count == 0)
        {
            sb.AppendLine(string.Join("  ", header));
            sb.AppendLine(empty);
            return;
        }
        var table = rows.Select(r => new[] { r.Key }.Concat(r.Texts).ToList()).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, table.Max(t => t[i].Length))).ToList();
        string Line(IReadOnlyList<string> cells) =>
            string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        sb.AppendLine(Line(header));
        sb.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var t in table) sb.AppendLine(Line(t));
    }

    /// <summary>Two Markdown tables (differing config keys, results).</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        AppendMarkdown(sb, "Config (differing keys)", ConfigDifferences, "No config key differs.");
        sb.AppendLine();
        AppendMarkdown(sb, "Results", Results, "No results.");
        return sb.ToString();
    }

    private void AppendMarkdown(StringBuilder sb, string title, IReadOnlyList<ComparisonRow> rows, string empty)
    {
        static string Cell(string s) => s.Replace("|", "\\|");
        sb.AppendLine($"### {title}").AppendLine();
        if (rows.Count == 0)
        {
            sb.AppendLine(empty);
            return;
        }
        sb.AppendLine("| key | " + string.Join(" | ", Runs.Select(r => Cell(r.Name))) + " |");
        sb.AppendLine("|---|" + string.Concat(Runs.Select(_ => "---:|")));
        foreach (var r in rows) sb.AppendLine($"| `{Cell(r.Key)}` | " + string.Join(" | ", r.Texts.Select(Cell)) + " |");
    }
}
