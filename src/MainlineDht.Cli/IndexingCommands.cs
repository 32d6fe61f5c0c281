using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Cli;

/// <summary>
/// <c>crawl</c> (BEP 51) and <c>scrape</c> (BEP 33), for crawlers and indexers: one-shot commands on a
/// short-lived node, BEP 43 read-only unless <c>--full-node</c> is given (see <see cref="CommonOptions"/>).
/// </summary>
internal static class IndexingCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command Crawl()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var duration = new Option<double?>("--duration") { Description = "Seconds to crawl (default: until Ctrl-C or SIGTERM, which end the crawl normally)." };
        var defaults = new CrawlOptions();
        var rate = new Option<double>("--rate") { Description = "The most sample_infohashes queries per second.", DefaultValueFactory = _ => defaults.QueriesPerSecond };
        var command = new Command(
            "crawl",
            "Crawl the DHT with BEP 51 sample_infohashes, never asking a node again before its interval; prints each infohash found (40 hex digits) on its own line as it comes. --timeout bounds the join. Exit 0 if any infohash was found, 1 if none.");
        common.AddTo(command);
        command.Options.Add(duration);
        command.Options.Add(rate);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            double? seconds = parse.GetValue(duration);
            if (seconds is not null && !(seconds > 0))
            {
                throw new CliException("--duration must be a positive number of seconds.");
            }

            double queriesPerSecond = parse.GetValue(rate);
            if (!(queriesPerSecond > 0) || double.IsInfinity(queriesPerSecond))
            {
                throw new CliException($"--rate: {queriesPerSecond.ToString(CultureInfo.InvariantCulture)} must be a positive number of queries per second.");
            }

            bool json = parse.GetValue(common.Json);
            DhtNode node;
            using (CancellationTokenSource join = common.TimeoutSource(parse, cancellationToken))
            {
                node = await common.StartJoinedNodeAsync(parse, warnings, join.Token).ConfigureAwait(false);
            }

            await using (node.ConfigureAwait(false))
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                if (seconds is double s)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(s));
                }

                List<string> hexes = []; // for --json only: without it each line is out as found
                long found = 0;
                DhtCrawl crawl = node.CrawlAsync(new CrawlOptions { QueriesPerSecond = queriesPerSecond }, stop.Token);
                await foreach (CrawledInfoHash infoHash in crawl.ConfigureAwait(false))
                {
                    found++;
                    if (json)
                    {
                        hexes.Add(infoHash.InfoHash.ToString());
                    }
                    else
                    {
                        Console.WriteLine(infoHash.InfoHash.ToString());
                    }
                }

                CrawlStatistics stats = crawl.Statistics;
                if (json)
                {
                    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["infohashes"] = hexes,
                        ["nodes_queried"] = stats.NodesQueried,
                        ["nodes_with_samples"] = stats.NodesWithSamples,
                        ["samples"] = stats.Samples,
                        ["queries_sent"] = stats.QueriesSent,
                        ["duration_s"] = Math.Round(stats.Elapsed.TotalSeconds, 3),
                        ["warnings"] = warnings.ToArray(),
                    }, Json));
                }

                return found > 0 ? 0 : 1;
            }
        }));
        return command;
    }

    public static Command Scrape()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var target = new Argument<string>("infohash") { Description = "The infohash (40 hex digits) or a magnet link." };
        var command = new Command(
            "scrape",
            "Estimate an infohash's seeds and peers (downloaders) from the BEP 33 bloom filters of the nodes closest to it; prints 'seeds N' and 'peers N'. Exit 0 if a node reported filters, 1 if none.") { target };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            NodeId infoHash = Targets.ParseInfoHash(parse.GetValue(target)!);
            bool json = parse.GetValue(common.Json);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);
            ScrapeResult result = await node.ScrapeAsync(infoHash, timeout.Token).ConfigureAwait(false);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["infohash"] = infoHash.ToString(),
                    ["seeds"] = result.Seeds,
                    ["peers"] = result.Peers,
                    ["nodes_with_filters"] = result.NodesWithFilters,
                    ["report"] = LookupCommands.ReportJson(result.Report),
                    ["warnings"] = warnings.ToArray(),
                }, Json));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"seeds {result.Seeds}"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peers {result.Peers}"));
            }

            return result.NodesWithFilters > 0 ? 0 : 1;
        }));
        return command;
    }
}
