using System.Globalization;
using System.Text;

namespace Pretrain.Data;

/// <summary>Counts per class and image size statistics of one split.</summary>
public sealed record SplitInspection(
    string Name, string Description, int Count,
    IReadOnlyList<(string ClassName, int Count)> ClassCounts, int Unlabeled,
    int SizeSampled, int MinWidth, int MinHeight, double MeanWidth, double MeanHeight, int MaxWidth, int MaxHeight,
    int UnreadableInSample, int OverPixelLimitInSample = 0, long MaxImagePixels = 0);

/// <summary>What `pretrain data inspect` reports; <see cref="ToText"/> is the printable form.</summary>
public sealed record DataInspection(IReadOnlyList<SplitInspection> Splits, string? GridPath)
{
    public string ToText()
    {
        var sb = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        foreach (var s in Splits)
        {
            sb.AppendLine(ci, $"{s.Name}: {s.Count} samples — {s.Description}");
            if (s.ClassCounts.Count > 0)
            {
                sb.AppendLine(ci, $"  classes: {s.ClassCounts.Count}");
                foreach (var (name, n) in s.ClassCounts) sb.AppendLine(ci, $"    {name,-24} {n}");
            }
            if (s.Unlabeled > 0) sb.AppendLine(ci, $"  unlabeled: {s.Unlabeled}");
            if (s.SizeSampled > 0)
                sb.AppendLine(ci, $"  size over {s.SizeSampled} images: W min {s.MinWidth} mean {s.MeanWidth:F1} max {s.MaxWidth}; H min {s.MinHeight} mean {s.MeanHeight:F1} max {s.MaxHeight}");
            if (s.UnreadableInSample > 0) sb.AppendLine(ci, $"  unreadable in the size sample: {s.UnreadableInSample}");
            if (s.OverPixelLimitInSample > 0)
                sb.AppendLine(ci, $"  over data.max_image_pixels ({s.MaxImagePixels}) in the size sample: {s.OverPixelLimitInSample} (training treats them as unreadable: skipped and counted, or an error with data.on_error fail)");
        }
        if (GridPath != null) sb.AppendLine(ci, $"augmented views: {GridPath}");
        return sb.ToString();
    }
}
