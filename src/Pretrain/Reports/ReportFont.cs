using SkiaSharp;

namespace Pretrain.Reports;

/// <summary>
/// The one typeface the plots use: DejaVu Sans 2.37, embedded in this assembly (from Debian's
/// fonts-dejavu-core; licence in Reports/Fonts/LICENSE-DejaVu.txt), so that text renders on a machine
/// without any system font (CI, containers). ScottPlot is told to resolve every font name to it.
/// </summary>
public static class ReportFont
{
    public const string Family = "DejaVu Sans";
    private const string Resource = "Pretrain.Reports.DejaVuSans.ttf";

    private static readonly Lazy<SKData> Data = new(() =>
    {
        using var stream = typeof(ReportFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"embedded font {Resource} missing from {typeof(ReportFont).Assembly.GetName().Name}");
        return SKData.Create(stream);
    });

    private static readonly object Gate = new();
    private static bool installed;

    /// <summary>A new typeface instance of the embedded font.</summary>
    public static SKTypeface Create() =>
        SKTypeface.FromData(Data.Value) ?? throw new InvalidOperationException("the embedded font could not be loaded");

    /// <summary>Makes ScottPlot resolve every font (default, sans, bold, ...) to the embedded typeface. Idempotent.</summary>
    public static void InstallForScottPlot()
    {
        lock (Gate)
        {
            if (installed) return;
            ScottPlot.Fonts.FontResolvers.Insert(0, new Resolver());
            ScottPlot.Fonts.Default = Family;
            installed = true;
        }
    }

    /// <summary>Every request gets the embedded font: a plot must look the same with or without system fonts.</summary>
    private sealed class Resolver : ScottPlot.IFontResolver
    {
        public SKTypeface? CreateTypeface(string fontName, ScottPlot.FontWeight weight, ScottPlot.FontSlant slant, ScottPlot.FontSpacing spacing) => Create();
        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) => Create();
    }
}
