using Pretrain.Reports;
using SkiaSharp;
using Xunit;

namespace Pretrain.Tests.Reports;

/// <summary>Plots must not depend on system fonts (CI may have none): every font ScottPlot asks for is the embedded DejaVu Sans.</summary>
public class ReportFontTests
{
    [Fact]
    public void EmbeddedFontHasGlyphsAndScottPlotResolvesEveryNameToIt()
    {
        using var typeface = ReportFont.Create();
        Assert.Equal(ReportFont.Family, typeface.FamilyName);
        using var font = new SKFont(typeface, 12);
        Assert.All(font.GetGlyphs("loss_mix k-NN@20 top-1 (%) 0.5e-3"), g => Assert.NotEqual(0, g));

        ReportFont.InstallForScottPlot();
        Assert.Equal(ReportFont.Family, ScottPlot.Fonts.Default);
        foreach (var name in new[] { "Sans", "Arial", "No Such Font", ScottPlot.Fonts.Default })
            Assert.Equal(ReportFont.Family, ScottPlot.Fonts.GetTypeface(name, bold: true, italic: false).FamilyName);
    }
}
