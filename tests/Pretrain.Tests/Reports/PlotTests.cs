using Pretrain.Reports;
using Pretrain.Tests.Cli;
using Pretrain.Tests.Config;
using SkiaSharp;
using Xunit;

namespace Pretrain.Tests.Reports;

public class PlotTests
{
    [Fact]
    public void RendersEveryPanelOfTwoOverlaidRuns()
    {
        using var dir = new TempConfigDir();
        var (a, b) = RunFolderFixtures.Write(dir);
        var runs = RunReport.LoadAll([a, b]);
        var png = dir.PathOf("out/compare.png");

        var result = RunPlot.Render(runs, new PlotOptions(Smooth: 3), png, Path.ChangeExtension(png, ".svg"));

        // Loss, schedules, k-NN monitor, throughput, results; no DINO keys in these runs.
        Assert.Equal(["Loss terms", "Schedules (each scaled to its min..max)", "k-NN monitor", "Throughput", "Results"], result.Panels.Select(p => p.Title));
        Assert.Equal(RunPlot.Size(5), (result.Width, result.Height));
        Assert.Equal((2 * RunPlot.PanelWidth, 3 * RunPlot.PanelHeight), (result.Width, result.Height));
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal(result.Width, bitmap.Width);
        Assert.Equal(result.Height, bitmap.Height);
        foreach (var panel in result.Panels) AssertDrawn(bitmap, panel);
        // The empty sixth cell stays white.
        Assert.Equal(0, NonWhite(bitmap, RunPlot.PanelWidth, 2 * RunPlot.PanelHeight, RunPlot.PanelWidth, RunPlot.PanelHeight).Count);

        var svg = File.ReadAllText(Path.ChangeExtension(png, ".svg"));
        Assert.StartsWith("<?xml", svg);
        Assert.Contains("run_a", svg.Replace("&#", "")); // legend text is in the SVG (as glyph runs or text)
    }

    [Fact]
    public void CliWritesPngBesideTheRunAndWarnsAboutTornLines()
    {
        using var dir = new TempConfigDir();
        var (a, _) = RunFolderFixtures.Write(dir);

        var r = CliResult.Run(["plot", a, "--x", "epoch", "--metrics", "loss,loss_mix,knn_top1,nope"]);

        Assert.Equal(0, r.ExitCode);
        var png = Path.Combine(a, "plot.png");
        Assert.Equal(png, r.Out.Trim());
        Assert.Contains("1 malformed line(s) skipped", r.Err);
        Assert.Contains("--metrics: no run has 'nope'", r.Err);
        using var bitmap = SKBitmap.Decode(png);
        // Loss terms, k-NN monitor, results: three panels in two columns.
        Assert.Equal(RunPlot.Size(3), (bitmap.Width, bitmap.Height));
        AssertDrawn(bitmap, new PlotPanel("", 0, 0, RunPlot.PanelWidth, RunPlot.PanelHeight));
        AssertDrawn(bitmap, new PlotPanel("", RunPlot.PanelWidth, 0, RunPlot.PanelWidth, RunPlot.PanelHeight));
        AssertDrawn(bitmap, new PlotPanel("", 0, RunPlot.PanelHeight, RunPlot.PanelWidth, RunPlot.PanelHeight));
    }

    [Fact]
    public void CliDefaultOutputForSeveralRunsIsCompareInTheWorkingFolder()
    {
        using var dir = new TempConfigDir();
        var (a, b) = RunFolderFixtures.Write(dir);
        var cwd = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(dir.Root);
        try
        {
            var r = CliResult.Run(["plot", a, b, "--svg"]);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(["compare.png", "compare.svg"], r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            Assert.True(File.Exists(dir.PathOf("compare.png")));
            Assert.True(File.Exists(dir.PathOf("compare.svg")));
        }
        finally
        {
            Directory.SetCurrentDirectory(cwd);
        }
    }

    /// <summary>A drawn panel: a good share of non-white pixels and many distinct colours (lines, text, anti-aliasing).</summary>
    private static void AssertDrawn(SKBitmap bitmap, PlotPanel panel)
    {
        var pixels = NonWhite(bitmap, panel.Left, panel.Top, panel.Width, panel.Height);
        double share = (double)pixels.Count / (panel.Width * panel.Height);
        int colours = pixels.Distinct().Count();
        Assert.True(share > 0.01, $"panel '{panel.Title}' at ({panel.Left},{panel.Top}) is almost blank: {share:P2} non-white");
        Assert.True(colours > 50, $"panel '{panel.Title}' at ({panel.Left},{panel.Top}) has only {colours} distinct colours");
    }

    private static List<uint> NonWhite(SKBitmap bitmap, int left, int top, int width, int height)
    {
        var found = new List<uint>();
        for (int y = top; y < top + height; y++)
            for (int x = left; x < left + width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red < 245 || c.Green < 245 || c.Blue < 245) found.Add((uint)c);
            }
        return found;
    }
}
