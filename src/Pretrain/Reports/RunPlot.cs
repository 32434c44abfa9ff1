using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace Pretrain.Reports;

/// <summary>The x axis of `pretrain plot`.</summary>
public enum PlotXAxis { Step, Epoch }

/// <summary>What `pretrain plot` draws: the metrics (null = each group's defaults), the moving-average window (1 = none) and the x axis.</summary>
public sealed record PlotOptions(IReadOnlyList<string>? Metrics = null, int Smooth = 1, PlotXAxis X = PlotXAxis.Step);

/// <summary>One panel of the figure and where it was drawn (pixels, top-left origin).</summary>
public sealed record PlotPanel(string Title, int Left, int Top, int Width, int Height);

/// <summary>What was written.</summary>
public sealed record PlotResult(string PngPath, string? SvgPath, int Width, int Height, IReadOnlyList<PlotPanel> Panels, IReadOnlyList<string> Warnings);

/// <summary>
/// `pretrain plot`: one figure of one or more runs' metrics, a panel per metric group that has data
/// (<see cref="MetricGroup.All"/>), runs overlaid with a legend naming each, and a bar panel of the
/// evaluation results when a run has any. PNG (and SVG) through ScottPlot on SkiaSharp, text in the
/// embedded <see cref="ReportFont"/>.
/// </summary>
public static class RunPlot
{
    public const int PanelWidth = 900;
    public const int PanelHeight = 460;
    public const int Columns = 2;
    public const string ResultsTitle = "Results";

    /// <summary>Figure size for <paramref name="panels"/> panels: two columns (one for a single panel), <see cref="PanelHeight"/> per row.</summary>
    public static (int Width, int Height) Size(int panels)
    {
        int cols = panels <= 1 ? 1 : Columns;
        int rows = Math.Max(1, (panels + cols - 1) / cols);
        return (cols * PanelWidth, rows * PanelHeight);
    }

    /// <summary>A plain, opaque palette that reads on white (Category10).</summary>
    private static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    private static readonly LinePattern[] Patterns = [LinePattern.Solid, LinePattern.Dashed, LinePattern.Dotted, LinePattern.DenselyDashed];

    public static PlotResult Render(IReadOnlyList<RunReport> runs, PlotOptions options, string pngPath, string? svgPath = null)
    {
        if (runs.Count == 0) throw new ArgumentException("no runs", nameof(runs));
        if (options.Smooth < 1) throw new Config.UserInputException($"--smooth {options.Smooth}: must be >= 1");
        ReportFont.InstallForScottPlot();
        var warnings = new List<string>();

        var panels = BuildPanels(runs, options, warnings);
        try
        {
            // Named metrics of which none exists are a typo, even when the results panel alone could be drawn.
            if (panels.Count == 0 || (options.Metrics is not null && panels.All(p => p.Title == ResultsTitle)))
                throw new Config.UserInputException(options.Metrics is null
                    ? "nothing to plot: the runs' metrics.jsonl hold no known metric (loss, lr, knn_top1, images_per_sec, ...); name some with --metrics"
                    : $"--metrics {string.Join(',', options.Metrics)}: none of these is in the runs' metrics.jsonl (they have: {string.Join(", ", runs.SelectMany(r => r.Metrics.Keys).Distinct())})");

            var (width, height) = Size(panels.Count);
            int cols = panels.Count <= 1 ? 1 : Columns;
            var placed = panels.Select((p, i) => new PlotPanel(p.Title, i % cols * PanelWidth, i / cols * PanelHeight, PanelWidth, PanelHeight)).ToList();

            void Draw(SKCanvas canvas)
            {
                canvas.Clear(SKColors.White);
                for (int i = 0; i < panels.Count; i++)
                {
                    var at = placed[i];
                    // ScottPlot clears the canvas before drawing a figure: the clip keeps it to this panel.
                    canvas.Save();
                    canvas.ClipRect(SKRect.Create(at.Left, at.Top, at.Width, at.Height));
                    panels[i].Plot.Render(canvas, new PixelRect(at.Left, at.Left + at.Width, at.Top + at.Height, at.Top));
                    canvas.Restore();
                }
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(pngPath))!);
            using (var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
                                 ?? throw new InvalidOperationException($"could not create a {width}x{height} drawing surface"))
            {
                Draw(surface.Canvas);
                using var image = surface.Snapshot();
                using var png = image.Encode(SKEncodedImageFormat.Png, 100);
                using var file = File.Create(pngPath);
                png.SaveTo(file);
            }
            if (svgPath is not null)
            {
                using var file = File.Create(svgPath);
                using (var svg = SKSvgCanvas.Create(SKRect.Create(width, height), file)) Draw(svg);
            }
            return new PlotResult(pngPath, svgPath, width, height, placed, warnings);
        }
        finally
        {
            foreach (var p in panels) p.Dispose();
        }
    }

    private sealed record BuiltPanel(string Title, Plot Plot) : IDisposable
    {
        public void Dispose() => Plot.Dispose();
    }

    private static List<BuiltPanel> BuildPanels(IReadOnlyList<RunReport> runs, PlotOptions options, List<string> warnings)
    {
        var present = runs.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var groups = new List<(MetricGroup Group, List<string> Keys)>();
        if (options.Metrics is { } asked)
        {
            foreach (var k in asked.Where(k => !present.Contains(k))) warnings.Add($"--metrics: no run has '{k}'");
            foreach (var key in asked.Where(present.Contains).Distinct())
            {
                var g = MetricGroup.Of(key) ?? MetricGroup.Other;
                var slot = groups.FindIndex(x => x.Group == g);
                if (slot < 0) groups.Add((g, [key])); else groups[slot].Keys.Add(key);
            }
            groups = groups.OrderBy(x => x.Group == MetricGroup.Other ? int.MaxValue : IndexOf(x.Group)).ToList();
        }
        else
        {
            foreach (var g in MetricGroup.All)
            {
                var keys = present.Where(k => MetricGroup.Of(k) == g && g.ShownByDefault(k)).ToList();
                if (keys.Count > 0) groups.Add((g, keys));
            }
        }

        var panels = new List<BuiltPanel>();
        foreach (var (group, keys) in groups)
            panels.Add(new BuiltPanel(group.Title, SeriesPanel(runs, group, OrderKeys(keys), options)));
        if (runs.Any(r => r.HasResults)) panels.Add(new BuiltPanel(ResultsTitle, ResultsPanel(runs)));
        return panels;
    }

    private static int IndexOf(MetricGroup g) => MetricGroup.All.ToList().IndexOf(g);

    /// <summary>`loss` first, then the others as logged.</summary>
    private static List<string> OrderKeys(List<string> keys) => keys.OrderBy(k => k == "loss" ? 0 : 1).ToList();

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        plot.Title(title, 17);
        plot.XLabel(xLabel, 14);
        plot.YLabel(yLabel, 14);
        foreach (var axis in new IAxis[] { plot.Axes.Bottom, plot.Axes.Left, plot.Axes.Right })
        {
            axis.TickLabelStyle.FontSize = 12;
            axis.TickLabelStyle.FontName = ReportFont.Family;
            axis.Label.FontName = ReportFont.Family;
        }
        plot.Axes.Title.Label.FontName = ReportFont.Family;
        plot.Axes.Title.Label.Bold = false;
        plot.Legend.FontName = ReportFont.Family;
        plot.Legend.FontSize = 12;
        plot.Legend.SetBestFontOnEachRender = false;
        plot.Legend.SymbolWidth = 34;
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.08);
        return plot;
    }

    private static Plot SeriesPanel(IReadOnlyList<RunReport> runs, MetricGroup group, List<string> keys, PlotOptions options)
    {
        bool epochs = options.X == PlotXAxis.Epoch;
        int smoothN = group.Smoothed ? options.Smooth : 1;
        var title = group.Title + (smoothN > 1 ? $"  (moving average over {smoothN} points)" : "");
        // A right-hand axis only when both axes get metrics; otherwise everything on the left.
        bool twoAxes = group.OnRightAxis is { } onRight && keys.Any(onRight) && !keys.All(onRight);
        var plot = NewPlot(title, epochs ? "epoch" : "step", group.OnRightAxis is { } rightKey && keys.All(rightKey) ? group.RightLabel ?? group.YLabel : group.YLabel);
        bool manyRuns = runs.Count > 1;
        bool anyRight = false;
        var events = new List<(int Run, double X, long Step, List<string> What)>();

        for (int r = 0; r < runs.Count; r++)
        {
            var run = runs[r];
            double? stepsPerEpoch = epochs ? run.Metrics.StepsPerEpoch() : null;
            for (int k = 0; k < keys.Count; k++)
            {
                var key = keys[k];
                var series = run.Metrics.Series(key).ToList();
                if (series.Count == 0) continue;
                double X((long Step, int Epoch, double Value) p) =>
                    !epochs ? p.Step : stepsPerEpoch is { } spe ? p.Step / spe : p.Epoch;

                var finite = series.Where(p => double.IsFinite(p.Value)).ToList();
                var xs = finite.Select(X).ToArray();
                var ys = finite.Select(p => p.Value).ToArray();
                bool right = twoAxes && group.OnRightAxis!(key);
                var label = (manyRuns ? $"{run.Name}: {key}" : key) + (right ? " (right)" : "");
                if (group.Scale == PanelScale.MinMax && ys.Length > 0)
                {
                    double min = ys.Min(), max = ys.Max();
                    label += $" ({Compact(min)}..{Compact(max)})";
                    ys = ys.Select(y => max > min ? (y - min) / (max - min) : 1.0).ToArray();
                }
                int nonFinite = series.Count - finite.Count;
                if (nonFinite > 0) label += $" [{nonFinite} non-finite]";

                var color = Palette[(manyRuns ? r : k) % Palette.Length];
                var pattern = manyRuns ? Patterns[k % Patterns.Length] : LinePattern.Solid;
                anyRight |= right;
                bool markers = group.Markers || xs.Length <= 20;

                if (xs.Length > 0)
                {
                    if (smoothN > 1)
                    {
                        var raw = plot.Add.Scatter(xs, ys, color.WithAlpha(0.25));
                        raw.LineWidth = 1;
                        raw.MarkerSize = 0;
                        raw.LinePattern = pattern;
                        if (right) raw.Axes.YAxis = plot.Axes.Right;
                        var smooth = plot.Add.Scatter(xs, MovingAverage(ys, smoothN), color);
                        Style(smooth, label, pattern, markers, right, plot);
                    }
                    else
                    {
                        Style(plot.Add.Scatter(xs, ys, color), label, pattern, markers, right, plot);
                    }
                }

                // A non-finite value cannot be drawn as a point: mark where the first one happened.
                if (nonFinite > 0)
                {
                    var first = series.First(p => !double.IsFinite(p.Value));
                    var x = X(first);
                    var at = events.FindIndex(e => e.Run == r && e.X == x);
                    var what = $"{key} {NonFiniteName(first.Value)}";
                    if (at < 0) events.Add((r, x, first.Step, [what]));
                    else events[at].What.Add(what);
                }
            }
        }
        foreach (var (r, x, step, what) in events)
        {
            var line = plot.Add.VerticalLine(x, 1.5f, Palette[(manyRuns ? r : 0) % Palette.Length]);
            line.LinePattern = LinePattern.Dotted;
            // In the legend, not on the line: a label at the axis would cover the title or the ticks.
            line.LegendText = $"{(manyRuns ? runs[r].Name + ": " : "")}{string.Join(", ", what)} at step {step}";
        }
        if (anyRight)
        {
            plot.Axes.Right.Label.Text = group.RightLabel ?? "";
            plot.Axes.Right.Label.FontSize = 14;
        }
        plot.ShowLegend(Edge.Right);
        return plot;
    }

    private static void Style(ScottPlot.Plottables.Scatter s, string label, LinePattern pattern, bool markers, bool right, Plot plot)
    {
        s.LegendText = label;
        s.LineWidth = 2;
        s.LinePattern = pattern;
        s.MarkerSize = markers ? 6 : 0;
        if (right) s.Axes.YAxis = plot.Axes.Right;
    }

    private static string NonFiniteName(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+inf" : "-inf";

    private static string Compact(double v) =>
        v != 0 && (Math.Abs(v) < 1e-2 || Math.Abs(v) >= 1e4) ? v.ToString("0.0#e0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Trailing moving average: point i is the mean of points max(0, i-n+1)..i.</summary>
    public static double[] MovingAverage(IReadOnlyList<double> ys, int n)
    {
        var result = new double[ys.Count];
        double sum = 0;
        for (int i = 0; i < ys.Count; i++)
        {
            sum += ys[i];
            if (i >= n) sum -= ys[i - n];
            result[i] = sum / Math.Min(i + 1, n);
        }
        return result;
    }

    /// <summary>The bar categories of the results panel, each with one value per run (null where absent).</summary>
    public static IReadOnlyList<(string Label, bool RandomInit, double?[] Values)> ResultBars(IReadOnlyList<RunReport> runs)
    {
        var bars = new List<(string, bool, double?[])>();
        void Add(string label, bool random, Func<RunReport, double?> pick)
        {
            var v = runs.Select(pick).ToArray();
            if (v.Any(x => x is not null)) bars.Add((label, random, v));
        }
        int k = runs.Select(r => r.Probe?.KnnK).FirstOrDefault(x => x is not null) ?? 20;
        Add("probe\nlinear", false, r => r.Probe?.LinearTop1);
        Add("random init\nlinear", true, r => r.Probe?.RandomInitLinearTop1);
        Add($"probe\nk-NN@{k}", false, r => r.Probe?.KnnTop1);
        Add($"random init\nk-NN@{k}", true, r => r.Probe?.RandomInitKnnTop1);
        foreach (int kk in runs.SelectMany(r => r.Knn.Select(x => x.K)).Distinct().Order())
            Add($"knn-eval\nk={kk}", false, r => r.Knn.Where(x => x.K == kk).Select(x => (double?)x.Top1).FirstOrDefault());
        Add("linear-eval\nbest", false, r => r.LinearEval?.BestTop1);
        Add("linear-eval\nlast", false, r => r.LinearEval?.LastTop1);
        return bars;
    }

    private static Plot ResultsPanel(IReadOnlyList<RunReport> runs)
    {
        var plot = NewPlot("Results: val top-1 (%), pretrained vs random init", "", "top-1 (%)");
        var categories = ResultBars(runs);
        double slot = 0.8 / runs.Count;
        // Value labels ("74.5") only where a bar is wide enough for them: about 2.6 font sizes.
        double barPixels = (PanelWidth - 260.0) / Math.Max(1, categories.Count) * slot * 0.9;
        float labelSize = (float)Math.Min(12, Math.Floor(barPixels / 2.6));
        if (labelSize < 8) labelSize = 0;
        var bars = new List<Bar>();
        for (int c = 0; c < categories.Count; c++)
        {
            var (_, random, values) = categories[c];
            for (int r = 0; r < runs.Count; r++)
            {
                if (values[r] is not { } v) continue;
                var color = Palette[r % Palette.Length];
                bars.Add(new Bar
                {
                    Position = c - 0.4 + slot * (r + 0.5),
                    Value = v,
                    Size = slot * 0.9,
                    FillColor = random ? color.WithAlpha(0.35) : color,
                    LineColor = color,
                    LineWidth = 1,
                    Label = labelSize > 0 ? v.ToString("F1", CultureInfo.InvariantCulture) : "",
                });
            }
        }
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontName = ReportFont.Family;
        barPlot.ValueLabelStyle.FontSize = Math.Max(labelSize, 8);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.Select(c => c.Label).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.SetLimitsX(-0.6, categories.Count - 0.4);
        double top = bars.Count == 0 ? 100 : bars.Max(b => b.Value);
        plot.Axes.SetLimitsY(0, Math.Max(10, top * 1.12));
        plot.HideGrid();
        for (int r = 0; r < runs.Count; r++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = runs[r].Name, FillColor = Palette[r % Palette.Length] });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "light: random init", FillColor = Colors.Gray.WithAlpha(0.35) });
        plot.ShowLegend(Edge.Right);
        return plot;
    }
}
