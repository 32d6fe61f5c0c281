using System.Globalization;
using MainlineDht.Simulation;
using Spectre.Console;

namespace MainlineDht.Cli;

// simulate --crawl: the BEP 51 crawl benchmark (CrawlSimulationRunner).
internal static partial class SimulateCommand
{
    private static async Task<int> CrawlAsync(CrawlSimulationOptions options, bool json, CancellationToken cancellationToken)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            string option = e.ParamName switch
            {
                nameof(CrawlSimulationOptions.QueriesPerSecond) => "rate",
                nameof(CrawlSimulationOptions.LatencyMin) => "latency",
                nameof(CrawlSimulationOptions.Duration) => "crawl-minutes",
                string name => name.ToLowerInvariant(),
                null => "options",
            };
            throw new CliException($"--{option}: {(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal))}");
        }

        CrawlSimulationReport report;
        try
        {
            report = await Task.Run(() => CrawlSimulationRunner.Run(options, line => Console.Error.WriteLine(line), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            throw new CliException($"the simulation could not run: {e.Message}");
        }

        if (json)
        {
            Console.WriteLine(report.ToJson());
            return 0;
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("figure").AddColumn("value");
        void Row(string name, FormattableString value) => table.AddRow(Markup.Escape(name), Markup.Escape(value.ToString(c)));
        Row("network", $"{options.Nodes:N0} nodes, seed {options.Seed}, round trips {options.LatencyMin.TotalMilliseconds:0}-{options.LatencyMax.TotalMilliseconds:0} ms, loss {options.Loss:P1}, {options.Dead:P0} never answer");
        Row("announced", $"{options.InfoHashes:N0} infohashes, stored on {report.AnnouncedToMean:N1} nodes each");
        Row("found", $"{report.Found:N0} ({report.Coverage:P1}) in {report.Crawl.Elapsed.TotalMinutes:N1} min virtual at {options.QueriesPerSecond} queries/s");
        Row("new per minute", $"{string.Join(", ", report.NewPerMinute.Select(n => n.ToString("N0", c)))}");
        Row("to 50% / 90% / 99%", $"{Minutes(report.To50)} / {Minutes(report.To90)} / {Minutes(report.To99)} min");
        Row("queries", $"{report.Crawl.QueriesSent:N0} sent, {report.QueriesPerInfoHash:N2} per infohash; {report.Crawl.NodesQueried:N0} nodes asked, {report.Crawl.NodesWithSamples:N0} sampled, {report.Crawl.Timeouts:N0} timeouts");
        Row("wall-clock time", $"{report.WallTime.TotalSeconds:N1} s");
        Terminal.CreateConsole().Write(table);
        return 0;

        static string Minutes(TimeSpan? time) => time is TimeSpan t ? t.TotalMinutes.ToString("N1", CultureInfo.InvariantCulture) : "never";
    }
}
