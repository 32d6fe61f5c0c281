using MainlineDht.Simulation;
using ScottPlot;
using SkiaSharp;

namespace MainlineDht.Cli;

/// <summary>
/// <c>simulate --plot FILE</c>: the lookup-time distribution (a CDF, with p50/p90/p99 marked) beside
/// the histogram of round trips, drawn with ScottPlot; PNG, or SVG when the file name ends in <c>.svg</c>.
/// </summary>
internal static class SimulationPlot
{
    public const int Width = 1200;
    public const int Height = 480;

    /// <summary>Whether <paramref name="path"/> names a file this can write (.png or .svg).</summary>
    public static bool IsSupported(string path) => Format(path) is not null;

    /// <summary>Draws the figure and writes it to <paramref name="path"/>.</summary>
    public static void Save(SimulationReport report, string path)
    {
        Multiplot figure = Draw(report);
        switch (Format(path))
        {
            case "png":
                figure.SavePng(path, Width, Height);
                break;
            case "svg":
                using (FileStream file = File.Create(path))
                {
                    using SKCanvas canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), file);
                    figure.Render(canvas, new PixelRect(0, Width, Height, 0));
                }

                break;
            default:
                throw new CliException($"--plot: '{path}' must end in .png or .svg.");
        }
    }

    private static string? Format(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => "png",
        ".svg" => "svg",
        _ => null,
    };

    private static Multiplot Draw(SimulationReport report)
    {
        var figure = new Multiplot();
        figure.AddPlots(2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        SimulationRunnerOptions o = report.Options;

        // Lookup time: the fraction of lookups done by each time (a step CDF over the sorted times).
        Plot cdf = figure.GetPlot(0);
        double[] times = [.. report.Lookups.Select(l => l.Elapsed.TotalMilliseconds).Order()];
        double right = times.Length > 0 ? times[^1] * 1.05 : 1;
        double[] xs = [0, .. times, right]; // the last point carries the line on to the right edge at 1
        double[] ys = [0, .. Enumerable.Range(1, times.Length).Select(i => (double)i / times.Length), times.Length > 0 ? 1 : 0];
        var line = cdf.Add.ScatterLine(xs, ys);
        line.ConnectStyle = ConnectStyle.StepHorizontal;
        line.LineWidth = 2;
        line.LegendText = "lookups done";
        foreach ((string name, double at) in new[] { ("p50", report.LookupMilliseconds.P50), ("p90", report.LookupMilliseconds.P90), ("p99", report.LookupMilliseconds.P99) })
        {
            var mark = cdf.Add.VerticalLine(at);
            mark.LinePattern = LinePattern.Dashed;
            mark.LegendText = FormattableString.Invariant($"{name} {at:N0} ms");
        }

        cdf.Title("Lookup time (virtual)");
        cdf.XLabel(FormattableString.Invariant($"ms — {o.Nodes:N0} nodes, {report.LookupsRun:N0} lookups, round trips {o.LatencyMin.TotalMilliseconds:0}-{o.LatencyMax.TotalMilliseconds:0} ms, seed {o.Seed}"));
        cdf.YLabel("fraction of lookups done");
        cdf.Axes.SetLimitsY(0, 1.05);
        cdf.Axes.SetLimitsX(0, right);
        cdf.Legend.Alignment = Alignment.LowerRight;
        cdf.ShowLegend();

        // Round trips: how many lookups took each number of rounds (the longest chain of replies).
        Plot histogram = figure.GetPlot(1);
        int[] rounds = [.. report.Lookups.Select(l => l.RoundTrips)];
        int low = rounds.Length == 0 ? 0 : rounds.Min(), high = rounds.Length == 0 ? 0 : rounds.Max();
        double[] positions = [.. Enumerable.Range(low, high - low + 1).Select(r => (double)r)];
        var bars = histogram.Add.Bars(positions, [.. positions.Select(r => (double)rounds.Count(x => x == (int)r))]);
        foreach (Bar bar in bars.Bars)
        {
            bar.Size = 0.7;
            bar.Label = FormattableString.Invariant($"{bar.Value:N0}");
        }

        bars.ValueLabelStyle.FontSize = 14;
        histogram.Axes.Bottom.SetTicks(positions, [.. positions.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        histogram.Title(FormattableString.Invariant($"Round trips per lookup (mean {report.RoundTrips.Mean:N2})"));
        histogram.XLabel("round trips (longest chain of replies)");
        histogram.YLabel("lookups");
        histogram.Axes.Margins(bottom: 0, top: 0.15);

        foreach (Plot plot in figure.GetPlots())
        {
            plot.Font.Set(Fonts.Sans);
        }

        return figure;
    }
}
