using System.CommandLine;
using System.Globalization;
using MainlineDht.Simulation;
using Spectre.Console;

namespace MainlineDht.Cli;

/// <summary><c>mainline-dht simulate</c>: the lookup benchmark on a simulated network (<see cref="SimulationRunner"/>).</summary>
internal static partial class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new SimulationRunnerOptions();
        var nodes = new Option<int>("--nodes") { Description = "Nodes in the simulated network.", DefaultValueFactory = _ => defaults.Nodes };
        var lookups = new Option<int>("--lookups") { Description = "get_peers lookups to measure.", DefaultValueFactory = _ => defaults.Lookups };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice: the same seed gives the same figures.", DefaultValueFactory = _ => defaults.Seed };
        var latency = new Option<string>("--latency") { Description = "Round-trip time of a link in ms, MIN-MAX (uniform, fixed per pair of nodes; half each way).", DefaultValueFactory = _ => "50-300" };
        var loss = new Option<double>("--loss") { Description = "Fraction of datagrams lost (0 to 1)." };
        var dead = new Option<double>("--dead") { Description = "Fraction of nodes that never answer (firewalled: every query to them is dropped)." };
        var churn = new Option<double>("--churn") { Description = "Fraction of nodes that leave at once after the announces (announcers then announce again)." };
        var sybil = new Option<double>("--sybil") { Description = "Fraction of nodes that are Sybils: from a few /24s, ids next to the infohashes looked up, answering with each other (implies --public-addresses)." };
        var poison = new Option<double>("--poison") { Description = "Fraction of nodes that answer every lookup query with junk or unreachable addresses (implies --public-addresses)." };
        var directJoin = new Option<bool>("--direct-join") { Description = "Fill the nodes' routing tables straight from the known population instead of joining them by lookups (no join traffic): for 100,000 nodes and more." };
        var publicAddresses = new Option<bool>("--public-addresses") { Description = "Give nodes public-looking virtual addresses, one /24 each (in memory only), so IP diversity and BEP 42 apply as on the internet." };
        var json = new Option<bool>("--json") { Description = "Print one JSON document on stdout and nothing else." };
        var plot = new Option<string?>("--plot") { Description = "Also draw the lookup-time distribution (CDF) and the round-trips histogram into FILE: PNG, or SVG when FILE ends in .svg." };
        var crawl = new Option<bool>("--crawl") { Description = "Measure a BEP 51 crawl instead of lookups: announce --infohashes, then one node crawls for up to --crawl-minutes of virtual time at --rate." };
        var crawlDefaults = new CrawlSimulationOptions();
        var infoHashes = new Option<int>("--infohashes") { Description = "With --crawl: infohashes announced.", DefaultValueFactory = _ => crawlDefaults.InfoHashes };
        var crawlMinutes = new Option<double>("--crawl-minutes") { Description = "With --crawl: the longest the crawl runs, in minutes of virtual time.", DefaultValueFactory = _ => crawlDefaults.Duration.TotalMinutes };
        var rate = new Option<double>("--rate") { Description = "With --crawl: the crawl's queries per second.", DefaultValueFactory = _ => crawlDefaults.QueriesPerSecond };
        var command = new Command("simulate", "Build a simulated DHT on virtual time, announce infohashes and measure get_peers lookups (or, with --crawl, a BEP 51 crawl).");
        command.Options.Add(nodes);
        command.Options.Add(lookups);
        command.Options.Add(seed);
        command.Options.Add(latency);
        command.Options.Add(loss);
        command.Options.Add(dead);
        command.Options.Add(churn);
        command.Options.Add(sybil);
        command.Options.Add(poison);
        command.Options.Add(publicAddresses);
        command.Options.Add(directJoin);
        command.Options.Add(json);
        command.Options.Add(plot);
        command.Options.Add(crawl);
        command.Options.Add(infoHashes);
        command.Options.Add(crawlMinutes);
        command.Options.Add(rate);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async _ =>
        {
            (TimeSpan min, TimeSpan max) = ParseLatency(parse.GetValue(latency)!);
            if (parse.GetValue(crawl))
            {
                double minutes = parse.GetValue(crawlMinutes);
                if (!(minutes > 0))
                {
                    throw new CliException("--crawl-minutes must be a positive number.");
                }

                var crawlOptions = new CrawlSimulationOptions
                {
                    Nodes = parse.GetValue(nodes),
                    InfoHashes = parse.GetValue(infoHashes),
                    Duration = TimeSpan.FromMinutes(minutes),
                    QueriesPerSecond = parse.GetValue(rate),
                    Seed = parse.GetValue(seed),
                    LatencyMin = min,
                    LatencyMax = max,
                    Loss = parse.GetValue(loss),
                    Dead = parse.GetValue(dead),
                };
                return await CrawlAsync(crawlOptions, parse.GetValue(json), cancellationToken).ConfigureAwait(false);
            }

            string? plotFile = parse.GetValue(plot);
            if (plotFile is not null && !SimulationPlot.IsSupported(plotFile))
            {
                throw new CliException($"--plot: '{plotFile}' must end in .png or .svg.");
            }

            var options = new SimulationRunnerOptions
            {
                Nodes = parse.GetValue(nodes),
                Lookups = parse.GetValue(lookups),
                Seed = parse.GetValue(seed),
                LatencyMin = min,
                LatencyMax = max,
                Loss = parse.GetValue(loss),
                Dead = parse.GetValue(dead),
                Churn = parse.GetValue(churn),
                Sybil = parse.GetValue(sybil),
                Poison = parse.GetValue(poison),
                PublicAddresses = parse.GetValue(publicAddresses),
                DirectJoin = parse.GetValue(directJoin),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                // "Nodes must be ... (Parameter 'Nodes')" becomes "--nodes: Nodes must be ...".
                string option = e.ParamName == nameof(SimulationRunnerOptions.LatencyMin) ? "latency" : e.ParamName?.ToLowerInvariant() ?? "options";
                string message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
                throw new CliException($"--{option}: {message}");
            }

            // The run drives its virtual clock on one thread from start to end; progress goes to stderr.
            SimulationReport report;
            try
            {
                report = await Task.Run(() => SimulationRunner.Run(options, line => Console.Error.WriteLine(line), cancellationToken), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                throw new CliException($"the simulation could not run: {e.Message}");
            }

            if (plotFile is not null)
            {
                SimulationPlot.Save(report, plotFile);
                await Console.Error.WriteLineAsync($"plot written to {plotFile}").ConfigureAwait(false);
            }

            if (parse.GetValue(json))
            {
                Console.WriteLine(report.ToJson());
            }
            else
            {
                Terminal.CreateConsole().Write(ToTable(report));
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The report for a person: one row per figure.</summary>
    private static Table ToTable(SimulationReport r)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        SimulationRunnerOptions o = r.Options;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("figure").AddColumn("value");
        void Row(string name, FormattableString value) => table.AddRow(Markup.Escape(name), Markup.Escape(value.ToString(c)));

        Row("network", $"{o.Nodes:N0} nodes, seed {o.Seed}, round trips {o.LatencyMin.TotalMilliseconds:0}-{o.LatencyMax.TotalMilliseconds:0} ms, loss {o.Loss:P1}");
        Row("unresponsive / left", $"{r.DeadNodes:N0} never answer, {r.NodesLeft:N0} left at once");
        if (r.SybilNodes + r.PoisonNodes > 0)
        {
            Row("adversaries", $"{r.SybilNodes:N0} Sybils, {r.PoisonNodes:N0} poisoners; Sybils among the closest {r.SybilShareOfClosest:P1}");
            Row("announces reached", $"{r.AnnouncedToHonest.Mean:N1} honest nodes on average (min {r.AnnouncedToHonest.Min:N0})");
            Row("junk ignored", $"{r.JunkNodesIgnored:N0} nodes named in replies");
        }

        Row("bootstrap", $"{r.Bootstrap.Waves} waves, {r.Bootstrap.VirtualTime.TotalSeconds:N0} s virtual, {r.Bootstrap.DatagramsSent:N0} datagrams");
        Row("routing table size", $"mean {r.RoutingTableSizes.Mean:N1}, min {r.RoutingTableSizes.Min:N0}, p50 {r.RoutingTableSizes.P50:N0}, max {r.RoutingTableSizes.Max:N0}");
        Row("announces", $"{r.InfoHashes} infohashes, stored on {r.AnnouncedTo.Mean:N1} nodes each (min {r.AnnouncedTo.Min:N0})");
        Row("success rate", $"{r.SuccessRate:P2} ({r.LookupsSucceeded:N0} of {r.LookupsRun:N0} lookups found the peer)");
        Row("lookup time (virtual)", $"p50 {r.LookupMilliseconds.P50:N0} ms, p90 {r.LookupMilliseconds.P90:N0} ms, p99 {r.LookupMilliseconds.P99:N0} ms, max {r.LookupMilliseconds.Max:N0} ms");
        Row("time to first peer", $"p50 {r.FirstPeerMilliseconds.P50:N0} ms, p90 {r.FirstPeerMilliseconds.P90:N0} ms, p99 {r.FirstPeerMilliseconds.P99:N0} ms");
        Row("closest answered", $"p50 {r.ClosestMilliseconds.P50:N0} ms, p90 {r.ClosestMilliseconds.P90:N0} ms, p99 {r.ClosestMilliseconds.P99:N0} ms");
        Row("messages per lookup", $"{r.MessagesPerLookup:N1} queries, {r.RepliesPerLookup:N1} replies, {r.TimeoutsPerLookup:N2} timeouts");
        Row("round trips", $"mean {r.RoundTrips.Mean:N2}, p99 {r.RoundTrips.P99:N0}, max {r.RoundTrips.Max:N0}");
        Row("K-closest recall", $"{r.ClosestNodesRecall:P1}");
        Row("datagrams", $"{r.Network.DatagramsSent:N0} sent, {r.Network.Lost:N0} lost, {r.Network.DroppedUnresponsive:N0} to unresponsive, {r.Network.DroppedOffline:N0} to departed nodes");
        Row("memory per node", $"{r.Bootstrap.BytesPerIdleNode:N0} B idle, {r.Bootstrap.BytesPerJoinedNode:N0} B joined");
        Row("wall-clock time", $"{r.WallTime.TotalSeconds:N1} s for {r.VirtualTime.TotalSeconds:N0} s virtual");
        Row("peak memory", $"{r.PeakMemoryMegabytes:N0} MiB");
        Row("garbage collection", $"{r.GcPause.TotalSeconds:N1} s paused; {string.Join(" / ", r.GcCollections)} collections (gen 0 / 1 / 2)");
        return table;
    }

    private static (TimeSpan Min, TimeSpan Max) ParseLatency(string text)
    {
        string[] parts = text.Split('-', 2);
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double min)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double max)
            && min >= 0 && max >= min)
        {
            return (TimeSpan.FromMilliseconds(min), TimeSpan.FromMilliseconds(max));
        }

        throw new CliException($"--latency: '{text}' is not MIN-MAX in milliseconds (for example 50-300).");
    }
}
