namespace Pretrain.Reports;

/// <summary>How a panel draws its values.</summary>
public enum PanelScale
{
    /// <summary>Values as logged.</summary>
    Raw,
    /// <summary>Each series scaled to [0, 1] over its own min..max (the legend gives the range): schedules of very different sizes share one axis.</summary>
    MinMax,
}

/// <summary>
/// One panel of `pretrain plot`: which metrics belong to it, which of those are shown without
/// `--metrics`, and which go on the right-hand axis (only when the panel has metrics for both axes).
/// </summary>
public sealed record MetricGroup(
    string Title,
    string YLabel,
    Func<string, bool> Member,
    Func<string, bool> ShownByDefault,
    PanelScale Scale = PanelScale.Raw,
    Func<string, bool>? OnRightAxis = null,
    string? RightLabel = null,
    bool Markers = false,
    bool Smoothed = true)
{
    /// <summary>The panels in drawing order. A metric belongs to the first group whose <see cref="Member"/> accepts it.</summary>
    public static readonly IReadOnlyList<MetricGroup> All =
    [
        // The total (a weighted sum) sits on the right axis when terms are drawn, so the terms fill the panel's height.
        new("Loss terms", "loss terms", k => k == "loss" || k.StartsWith("loss_", StringComparison.Ordinal), _ => true,
            OnRightAxis: k => k == "loss", RightLabel: "loss (total)"),
        // Schedules are exact functions of the step: a moving average would only shift them.
        new("Schedules (each scaled to its min..max)", "scaled value", k => k is "lr" or "weight_decay" or "momentum" or "teacher_temp", _ => true, PanelScale.MinMax, Smoothed: false),
        new("k-NN monitor", "top-1 / top-5 (%)", k => k.StartsWith("knn_", StringComparison.Ordinal), k => k is "knn_top1" or "knn_top5", Markers: true),
        new("Throughput", "images/s", k => k is "images_per_sec" or "data_wait_pct", _ => true, OnRightAxis: k => k == "data_wait_pct", RightLabel: "data wait (%)"),
        new("DINO diagnostics", "teacher entropy (nats)",
            k => k is "teacher_entropy" or "kl_teacher_student" or "dino_loss_over_ln_k" || k.Contains("entropy", StringComparison.Ordinal) || k.StartsWith("kl_", StringComparison.Ordinal),
            _ => true, OnRightAxis: k => !k.Contains("entropy", StringComparison.Ordinal), RightLabel: "KL / (L_dino / ln K)"),
    ];

    /// <summary>Metrics named with `--metrics` that no group takes.</summary>
    public static readonly MetricGroup Other = new("Other metrics", "value", _ => true, _ => true);

    public static MetricGroup? Of(string key) => All.FirstOrDefault(g => g.Member(key));
}
