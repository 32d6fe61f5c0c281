using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace MainlineDht.Cli;

/// <summary><c>mainline-dht node</c>: runs a node and prints its status as it goes.</summary>
internal static class NodeCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var duration = new Option<double?>("--duration") { Description = "Seconds to run (default: until Ctrl-C)." };
        var state = new Option<string?>("--state") { Description = "A file to keep the node id and routing table in." };
        var command = new Command("node", "Run a DHT node and print its status (id, address, routing table size, queries served).");
        common.AddTo(command);
        command.Options.Add(duration);
        command.Options.Add(state);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async () =>
        {
            DhtNodeOptions options = common.ToNodeOptions(parse, parse.GetValue(state));
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
            }

            await node.JoinAsync(stop.Token).ConfigureAwait(false);
            while (!stop.IsCancellationRequested)
            {
                if (!json)
                {
                    PrintStatus(node);
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

            DhtNodeStatistics stats = node.GetStatistics();
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    id = node.Id.ToString(),
                    address = node.LocalEndPoint.ToString(),
                    routing_table_size = stats.RoutingTableSize,
                    queries_served = stats.QueriesAnswered,
                    stored_peers = stats.StoredPeers,
                }));
            }
            else
            {
                PrintStatus(node);
            }

            return 0;
        }));
        return command;
    }

    private static void PrintStatus(DhtNode node)
    {
        DhtNodeStatistics s = node.GetStatistics();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{DateTime.Now:HH:mm:ss} id {node.Id} at {node.LocalEndPoint}: {s.RoutingTableSize} nodes, {s.QueriesAnswered} queries served, {s.StoredPeers} peers stored for {s.StoredInfoHashes} infohashes"));
    }
}
