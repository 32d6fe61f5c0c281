using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Cli;

/// <summary>
/// <c>mainline-dht node</c>: runs a node and prints its status as it goes. The first Ctrl-C or
/// SIGTERM (see <see cref="TerminationSignals"/>) stops it gracefully: state saved, a final status, exit 0.
/// </summary>
internal static class NodeCommand
{
    /// <summary>How often the status is printed (a line of text, or with --json a line of JSON).</summary>
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(5);

    public static Command Create()
    {
        // Both families by default; where IPv6 cannot be bound the node runs IPv4 alone and says so once (a warning).
        var common = new CommonOptions(defaultBind: ["0.0.0.0", "::"], publicRouters: true);
        var duration = new Option<double?>("--duration") { Description = "Seconds to run (default: until Ctrl-C or SIGTERM)." };
        var state = new Option<string?>("--state") { Description = "A file to keep the node id and routing table in." };
        var watch = new Option<bool>("--watch") { Description = "Also print each announce_peer the node accepts, as it comes: 'HH:mm:ss announce <infohash> <peer ip:port>' (with --json a JSON line {\"announce\", \"peer\", \"seed\", \"time\"}); no live view." };
        var command = new Command("node", "Run a DHT node and print its status (id, address, routing table size, queries served). By default on 0.0.0.0 and, where the machine has IPv6, :: (BEP 32).");
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
            bool watching = parse.GetValue(watch);
            bool live = !json && !watching && Terminal.IsInteractive; // announce lines would break the live view
            await using DhtNode node = await CommonOptions.StartNodeAsync(options, cancellationToken).ConfigureAwait(false);
            DateTimeOffset started = DateTimeOffset.UtcNow;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (seconds is double s)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(s));
            }

            if (!json)
            {
                Console.WriteLine($"node {node.Id} listening on {CommonOptions.EndPoints(node)}");
                if (node.StateFileStatus is string status && !warnings.Contains(status))
                {
                    Console.WriteLine(status); // "loaded N nodes from FILE"; a problem was a warning already
                }
            }

            Task watcher = watching ? WatchAsync(node, json, stop.Token) : Task.CompletedTask;
            NodeStatus? last = null;
            if (live)
            {
                // On a terminal the view shows the join as it happens.
                Task join = JoinAsync(node, stop.Token);
                await NodeLiveView.RunAsync(Terminal.CreateConsole(), node, started, stop.Token).ConfigureAwait(false);
                await join.ConfigureAwait(false);
            }
            else
            {
                if (!json)
                {
                    node.HealthChanged += (_, change) => Console.WriteLine($"health: {Name(change.Current)} ({change.Reason})");
                }

                await JoinAsync(node, stop.Token).ConfigureAwait(false);
                if (!json && node.LastBootstrapReport is BootstrapReport bootstrap)
                {
                    PrintBootstrap(bootstrap);
                }

                while (!stop.IsCancellationRequested)
                {
                    if (json)
                    {
                        last = NodeStatus.Take(node, last, started);
                        Console.WriteLine(last.ToJson(node, warnings, stopped: false));
                    }
                    else
                    {
                        PrintStatus(node, final: false);
                    }

                    try
                    {
                        await Task.Delay(StatusInterval, stop.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }

            // Stop first (it saves the state, and reports a failed save as a warning), then the final status.
            await node.DisposeAsync().ConfigureAwait(false);
            await watcher.ConfigureAwait(false); // the watch ends with the node
            if (json)
            {
                Console.WriteLine(NodeStatus.Take(node, last, started).ToJson(node, warnings, stopped: true));
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
    /// its log, <see cref="WarningLogger"/>, and keeps serving and bootstrapping again by itself);
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
    /// Prints the announces the node accepts, as they come (a line of text, or a JSON line), until the
    /// node stops. The node never waits for this: a watch that falls behind loses the oldest.
    /// </summary>
    private static async Task WatchAsync(DhtNode node, bool json, CancellationToken stop)
    {
        try
        {
            await foreach (HeardQuery heard in node.WatchQueriesAsync(cancellationToken: stop).ConfigureAwait(false))
            {
                if (heard.Method != KrpcMethod.AnnouncePeer)
                {
                    continue;
                }

                Console.WriteLine(json
                    ? JsonSerializer.Serialize(new Dictionary<string, object?>
                    {
                        ["announce"] = heard.InfoHash.ToString(),
                        ["peer"] = heard.Peer?.ToString(),
                        ["seed"] = heard.Seed,
                        ["time"] = heard.ReceivedAt.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                    })
                    : string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss} announce {heard.InfoHash} {heard.Peer}{(heard.Seed ? " seed" : string.Empty)}"));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static void PrintStatus(DhtNode node, bool final)
    {
        DhtNodeStatistics s = node.GetStatistics();
        // A dual-stack node names both endpoints and splits its table size by family.
        string families = node.LocalEndPointV6 is not null && !node.LocalEndPointV6.Equals(node.LocalEndPoint)
            ? string.Create(CultureInfo.InvariantCulture, $" ({s.RoutingTableSizeV4} IPv4, {s.RoutingTableSizeV6} IPv6)")
            : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:HH:mm:ss} id {node.Id} at {CommonOptions.EndPoints(node)}: {s.RoutingTableSize} nodes{families}, {s.QueriesAnswered} queries served, {s.StoredPeers} peers stored for {s.StoredInfoHashes} infohashes, {Name(s.Health)}{(final ? " (stopped)" : string.Empty)}"));
    }

    /// <summary>The health as the status line and JSON name it: <c>bootstrapping</c>, <c>ready</c>, <c>degraded</c>, <c>firewalled</c>, <c>stopped</c>.</summary>
    private static string Name(DhtHealth health) => health.ToString().ToLowerInvariant();

    /// <summary>One line per bootstrap name: what it resolved to and what became of it.</summary>
    private static void PrintBootstrap(BootstrapReport report)
    {
        foreach (BootstrapNodeReport n in report.Nodes)
        {
            string addresses = n.Addresses.Count == 0 ? "no address" : string.Join(", ", n.Addresses);
            string outcome = n.Answered
                ? string.Create(CultureInfo.InvariantCulture, $"answered in {n.RoundTrip!.Value.TotalMilliseconds:0} ms")
                : n.Error ?? "did not answer";
            Console.WriteLine($"bootstrap {n.Name} ({addresses}): {outcome}");
        }

        if (report.SavedNodesTried > 0)
        {
            Console.WriteLine($"bootstrap: {report.SavedNodesAnswered} of {report.SavedNodesTried} saved nodes answered");
        }

        if (report.RetryIn is TimeSpan retry)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bootstrap: no node answered; trying again in {retry.TotalSeconds:0.#} s, then at growing intervals"));
        }
    }
}
