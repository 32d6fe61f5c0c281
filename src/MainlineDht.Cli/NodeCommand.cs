using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MainlineDht.Lookups;

namespace MainlineDht.Cli;

/// <summary>
/// <c>mainline-dht node</c>: runs a node and prints its status as it goes. The first Ctrl-C or
/// SIGTERM (see <see cref="TerminationSignals"/>) stops it gracefully: state saved, a final status, exit 0.
/// </summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions(publicRouters: true);
        var duration = new Option<double?>("--duration") { Description = "Seconds to run (default: until Ctrl-C or SIGTERM)." };
        var state = new Option<string?>("--state") { Description = "A file to keep the node id and routing table in." };
        var watch = new Option<bool>("--watch") { Description = "Print each announce_peer the node accepts as it comes: 'HH:mm:ss announce <infohash> <peer ip:port>' (with --json: their count in 'announces_heard')." };
        var command = new Command("node", "Run a DHT node and print its status (id, address, routing table size, queries served).");
        common.AddTo(command);
        command.Options.Add(duration);
        command.Options.Add(state);
        command.Options.Add(watch);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            DhtNodeOptions options = common.ToNodeOptions(parse, warnings, parse.GetValue(state));
            double? seconds = parse.GetValue(duration);
            if (seconds is <= 0)
            {
                throw new CliException("--duration must be a positive number of seconds.");
            }

            bool json = parse.GetValue(common.Json);
            await using DhtNode node = await CommonOptions.StartNodeAsync(options, cancellationToken).ConfigureAwait(false);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (seconds is double s)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(s));
            }

            if (!json)
            {
                Console.WriteLine($"node {node.Id} listening on {node.LocalEndPoint}");
                if (node.StateFileStatus is string status && !warnings.Contains(status))
                {
                    Console.WriteLine(status); // "loaded N nodes from FILE"; a problem was a warning already
                }
            }

            Task<long> watching = parse.GetValue(watch) ? WatchAsync(node, print: !json, stop.Token) : Task.FromResult(0L);
            await JoinAsync(node, stop.Token).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                if (!json)
                {
                    PrintStatus(node, final: false);
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(5), stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            // Stop first (it saves the state, and reports a failed save as a warning), then the final status.
            await node.DisposeAsync().ConfigureAwait(false);
            long heard = await watching.ConfigureAwait(false); // the watch ends with the node
            if (json)
            {
                DhtNodeStatistics stats = node.GetStatistics();
                var document = new Dictionary<string, object>
                {
                    ["id"] = node.Id.ToString(),
                    ["address"] = node.LocalEndPoint.ToString(),
                    ["routing_table_size"] = stats.RoutingTableSize,
                    ["queries_served"] = stats.QueriesAnswered,
                    ["stored_peers"] = stats.StoredPeers,
                };
                if (parse.GetValue(watch))
                {
                    document["announces_heard"] = heard;
                }

                document["warnings"] = warnings.ToArray();
                Console.WriteLine(JsonSerializer.Serialize(document));
            }
            else
            {
                PrintStatus(node, final: true);
            }

            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Joins; a join that reached no node is a warning (the node says so through
    /// <see cref="DhtNodeOptions.OnWarning"/>, and keeps serving and bootstrapping again by itself);
    /// a stop during it is not a failure.
    /// </summary>
    private static async Task JoinAsync(DhtNode node, CancellationToken stop)
    {
        try
        {
            await node.JoinAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Prints (or only counts) the announces the node accepts, as they come, until the node stops;
    /// returns how many there were. The node never waits for this: a watch that falls behind loses
    /// the oldest, which the count does not include.
    /// </summary>
    private static async Task<long> WatchAsync(DhtNode node, bool print, CancellationToken stop)
    {
        long count = 0;
        try
        {
            await foreach (HeardQuery heard in node.WatchQueriesAsync(cancellationToken: stop).ConfigureAwait(false))
            {
                if (heard.Method != Protocol.KrpcMethod.AnnouncePeer)
                {
                    continue;
                }

                count++;
                if (print)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{DateTime.Now:HH:mm:ss} announce {heard.InfoHash} {heard.Peer}{(heard.Seed ? " seed" : string.Empty)}"));
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return count;
    }

    private static void PrintStatus(DhtNode node, bool final)
    {
        DhtNodeStatistics s = node.GetStatistics();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:HH:mm:ss} id {node.Id} at {node.LocalEndPoint}: {s.RoutingTableSize} nodes, {s.QueriesAnswered} queries served, {s.StoredPeers} peers stored for {s.StoredInfoHashes} infohashes{(final ? " (stopped)" : string.Empty)}"));
    }
}
