using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pretrain.Config;

namespace Pretrain.Reports;

/// <summary>The final probe of a run (`final_probe.json`, written by `Eval.FinalProbe`), top-1 in %.</summary>
public sealed record ProbeResult(double? LinearTop1, double? RandomInitLinearTop1, double? KnnTop1, double? RandomInitKnnTop1, int KnnK);

/// <summary>`linear_eval.json` (written by `Eval.LinearEvalReport`): best and last top-1 in %.</summary>
public sealed record LinearEvalResult(double? BestTop1, int? BestEpoch, double? LastTop1);

/// <summary>
/// A run folder as the reports read it: its metrics, flattened config and whatever evaluation results
/// are there (`final_probe.json`, `knn_eval.json`, `linear_eval.json` in the folder or in
/// `linear_eval/`), and the wall time from the first to the last timestamp of `log.jsonl`.
/// Only the folder and a non-empty `metrics.jsonl` are required; a result file that cannot be read is
/// left out with a warning.
/// </summary>
public sealed class RunReport
{
    public const string MetricsFile = "metrics.jsonl";

    private RunReport(string path, string name) { Path = path; Name = name; }

    public string Path { get; }

    /// <summary>The folder's name (the legend and column label).</summary>
    public string Name { get; internal set; }

    public MetricsLog Metrics { get; private set; } = null!;

    /// <summary>config.yaml flattened to dotted keys; empty when the folder has none.</summary>
    public IReadOnlyDictionary<string, FlatValue> Config { get; private set; } = new Dictionary<string, FlatValue>();

    public ProbeResult? Probe { get; private set; }

    /// <summary>knn_eval.json's top-1 per k (ascending k).</summary>
    public IReadOnlyList<(int K, double Top1)> Knn { get; private set; } = [];

    public LinearEvalResult? LinearEval { get; private set; }

    /// <summary>First to last timestamp of log.jsonl (a resumed run includes the pause), or null.</summary>
    public TimeSpan? WallTime { get; private set; }

    /// <summary>Things left out while reading (malformed lines, unreadable result files), one line each.</summary>
    public IReadOnlyList<string> Warnings => warnings;
    private readonly List<string> warnings = [];

    public bool HasResults => Probe is not null || Knn.Count > 0 || LinearEval is not null;

    public static RunReport Load(string dir)
    {
        var full = System.IO.Path.GetFullPath(dir);
        if (!Directory.Exists(full)) throw new UserInputException($"{dir}: no such run folder");
        var metricsPath = System.IO.Path.Combine(full, MetricsFile);
        if (!File.Exists(metricsPath)) throw new UserInputException($"{dir}: no {MetricsFile} in this folder (not a run folder?)");

        var run = new RunReport(full, System.IO.Path.GetFileName(System.IO.Path.TrimEndingDirectorySeparator(full)));
        run.Metrics = MetricsLog.Read(metricsPath);
        if (run.Metrics.Rows.Count == 0)
            throw new UserInputException($"{System.IO.Path.Combine(dir, MetricsFile)}: no metrics rows" +
                                         (run.Metrics.SkippedLines > 0 ? $" ({run.Metrics.SkippedLines} malformed lines)" : ""));
        if (run.Metrics.SkippedLines > 0)
            run.warnings.Add($"{System.IO.Path.Combine(dir, MetricsFile)}: {run.Metrics.SkippedLines} malformed line(s) skipped");

        var configPath = System.IO.Path.Combine(full, "config.yaml");
        if (File.Exists(configPath))
        {
            try { run.Config = ConfigFlattener.Flatten(File.ReadAllText(configPath)); }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidDataException)
            { run.warnings.Add($"{System.IO.Path.Combine(dir, "config.yaml")}: not readable YAML ({OneLine(e.Message)}); config left out"); }
        }

        if (run.ReadJson("final_probe.json") is JsonObject probe)
            run.Probe = new ProbeResult(Number(probe["probe_top1"]), Number(probe["random_init_top1"]),
                Number(probe["knn_top1"]), Number(probe["random_init_knn_top1"]), (int)(Number(probe["knn_k"]) ?? 20));
        if (run.ReadJson("knn_eval.json") is JsonObject knn && knn["results"] is JsonObject byK)
            run.Knn = byK.Select(kv => (Ok: int.TryParse(kv.Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out int k), K: k, Top1: Number((kv.Value as JsonObject)?["top1"])))
                .Where(x => x.Ok && x.Top1 is not null).Select(x => (x.K, x.Top1!.Value)).OrderBy(x => x.K).ToList();
        if ((run.ReadJson("linear_eval.json") ?? run.ReadJson(System.IO.Path.Combine("linear_eval", "linear_eval.json"))) is JsonObject lin)
            run.LinearEval = new LinearEvalResult(Number(lin["best_top1"]), (int?)Number(lin["best_epoch"]), Number(lin["last_top1"]));

        run.WallTime = LogSpan(System.IO.Path.Combine(full, "log.jsonl"));
        return run;
    }

    private JsonNode? ReadJson(string relative)
    {
        var path = System.IO.Path.Combine(Path, relative);
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e)
        {
            warnings.Add($"{path}: not valid JSON ({OneLine(e.Message)}); left out");
            return null;
        }
    }

    private static double? Number(JsonNode? n) =>
        n is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) ? d : null;

    /// <summary>First and last Serilog compact-format timestamp (`@t`) of the log; null without two.</summary>
    private static TimeSpan? LogSpan(string path)
    {
        if (!File.Exists(path)) return null;
        DateTimeOffset? first = null, last = null;
        foreach (var line in File.ReadLines(path))
        {
            int at = line.IndexOf("\"@t\":\"", StringComparison.Ordinal);
            if (at < 0) continue;
            int start = at + 6, end = line.IndexOf('"', start);
            if (end < 0 || !DateTimeOffset.TryParse(line.AsSpan(start, end - start), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t)) continue;
            first ??= t;
            last = t;
        }
        return first is { } f && last is { } l && l > f ? l - f : null;
    }

    private static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Loads several folders; runs with the same folder name get their parent's name in front.</summary>
    public static IReadOnlyList<RunReport> LoadAll(IReadOnlyList<string> dirs)
    {
        if (dirs.Count == 0) throw new UserInputException("no run folder given");
        var runs = dirs.Select(Load).ToList();
        foreach (var group in runs.GroupBy(r => r.Name).Where(g => g.Count() > 1))
        {
            foreach (var r in group)
                r.Name = $"{System.IO.Path.GetFileName(System.IO.Path.GetDirectoryName(r.Path) ?? "")}/{r.Name}";
            if (group.Select(r => r.Name).Distinct().Count() < group.Count())
            {
                int n = 1;
                foreach (var r in group) r.Name = $"{r.Name}#{n++}";
            }
        }
        return runs;
    }
}
