using System.Buffers.Binary;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using Spectre.Console;

namespace MainlineDht.Cli;

/// <summary>
/// <c>mainline-dht swarm</c>: N nodes on consecutive loopback addresses, joined to each other,
/// announce a few infohashes which a fresh node then looks up; the whole job on one machine.
/// </summary>
internal static class SwarmCommand
{
    private const int InfoHashCount = 5;

    public static Command Create()
    {
        var common = new CommonOptions(defaultBind: "127.0.1.1", defaultPort: 6881);
        var count = new Option<int>("--nodes") { Description = "How many nodes to start.", DefaultValueFactory = _ => 64 };
        var duration = new Option<double?>("--duration") { Description = "Seconds to keep serving after the demonstration (other programs may join)." };
        var command = new Command("swarm", "Start N nodes on consecutive loopback addresses, announce infohashes and find them from a fresh node.");
        common.AddTo(command);
        command.Options.Add(count);
        command.Options.Add(duration);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            int n = parse.GetValue(count);
            if (n is < 2 or > 5000)
            {
                throw new CliException("--nodes must be from 2 to 5000.");
            }

            double? serve = parse.GetValue(duration);
            if (serve is <= 0)
            {
                throw new CliException("--duration must be a positive number of seconds.");
            }

            DhtNodeOptions template = common.ToNodeOptions(parse, warnings);
            if (template.BindEndPoint?.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new CliException("--bind must be an IPv4 address for a swarm (consecutive addresses).");
            }

            bool json = parse.GetValue(common.Json);
            IAnsiConsole console = Terminal.CreateConsole();
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            var nodes = new List<DhtNode>();
            try
            {
                // Live progress only on a terminal: in a file or a pipe it would be a stream of redraws.
                SwarmResult result = json || !Terminal.IsInteractive
                    ? await RunAsync(template, n, nodes, null, timeout.Token).ConfigureAwait(false)
                    : await console.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                        .StartAsync(ctx => RunAsync(template, n, nodes, ctx, timeout.Token)).ConfigureAwait(false);

                if (json)
                {
                    Dictionary<string, object> document = result.ToJson();
                    document["warnings"] = warnings.ToArray();
                    Console.WriteLine(JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
                }
                else
                {
                    Show(console, result);
                }

                if (serve is double seconds)
                {
                    if (!json)
                    {
                        console.MarkupLine($"serving for {seconds:F0} s on {Markup.Escape(nodes[0].LocalEndPoint.ToString())} … {Markup.Escape(nodes[^1].LocalEndPoint.ToString())}");
                    }

                    try
                    {
                        await Task.Delay(TimeSpan.FromSeconds(seconds), cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Ctrl-C or SIGTERM ends the serving period early: the nodes stop (below) and the result stands.
                        if (!json)
                        {
                            console.MarkupLine("stopped");
                        }
                    }
                }

                return result.AllFound ? 0 : 1;
            }
            finally
            {
                await Task.WhenAll(nodes.Select(node => node.DisposeAsync().AsTask())).ConfigureAwait(false);
            }
        }));
        return command;
    }

    private static IPAddress AddressAt(IPAddress first, int offset)
    {
        Span<byte> bytes = stackalloc byte[4];
        first.TryWriteBytes(bytes, out _);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(bytes) + (uint)offset;
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private static async Task<SwarmResult> RunAsync(DhtNodeOptions template, int count, List<DhtNode> nodes, ProgressContext? progress, CancellationToken cancellationToken)
    {
        ProgressTask? starting = progress?.AddTask($"starting {count} nodes", maxValue: count);
        ProgressTask? joining = progress?.AddTask("joining", maxValue: count);
        ProgressTask? announcing = progress?.AddTask($"announcing {InfoHashCount} infohashes", maxValue: InfoHashCount);
        ProgressTask? finding = progress?.AddTask("finding them from a fresh node", maxValue: InfoHashCount);
        IPAddress first = template.BindEndPoint!.Address;
        int port = template.BindEndPoint.Port;
        var start = System.Diagnostics.Stopwatch.StartNew();

        for (int i = 0; i < count; i++)
        {
            IReadOnlyList<string> bootstrap = i == 0
                ? template.BootstrapNodes
                : [.. template.BootstrapNodes, nodes[0].LocalEndPoint.ToString(), nodes[i - 1].LocalEndPoint.ToString()];
            nodes.Add(await CommonOptions.StartNodeAsync(template with
            {
                BindEndPoint = new IPEndPoint(AddressAt(first, i), port),
                BootstrapNodes = bootstrap,
                UsePublicRouters = false,
                QueriesPerSecondPerIp = 0,
            }, cancellationToken).ConfigureAwait(false));
            starting?.Increment(1);
        }

        for (int batch = 0; batch < count; batch += 16)
        {
            await Task.WhenAll(nodes.Skip(batch).Take(16).Select(async node =>
            {
                await node.JoinAsync(cancellationToken).ConfigureAwait(false);
                joining?.Increment(1);
            })).ConfigureAwait(false);
        }

        var random = new Random();
        var announced = new List<(NodeId InfoHash, DhtNode By, IPEndPoint Peer, LookupReport Report)>();
        for (int i = 0; i < InfoHashCount; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(random);
            DhtNode by = nodes[random.Next(nodes.Count)];
            int peerPort = 50_000 + i;
            LookupReport report = await by.AnnounceAsync(infoHash, peerPort, cancellationToken: cancellationToken).ConfigureAwait(false);
            announced.Add((infoHash, by, new IPEndPoint(by.LocalEndPoint.Address, peerPort), report));
            announcing?.Increment(1);
        }

        DhtNode fresh = await CommonOptions.StartNodeAsync(template with
        {
            BindEndPoint = new IPEndPoint(AddressAt(first, count), port),
            BootstrapNodes = [nodes[random.Next(nodes.Count)].LocalEndPoint.ToString()],
            UsePublicRouters = false,
        }, cancellationToken).ConfigureAwait(false);
        nodes.Add(fresh);
        await fresh.JoinAsync(cancellationToken).ConfigureAwait(false);

        var rows = new List<SwarmRow>();
        foreach ((NodeId infoHash, DhtNode by, IPEndPoint peer, LookupReport announce) in announced)
        {
            PeerLookupResult lookup = await fresh.LookupPeersAsync(infoHash, cancellationToken).ConfigureAwait(false);
            rows.Add(new SwarmRow(infoHash, by.LocalEndPoint, peer, announce.AnnouncedTo.Count, lookup.Peers.Contains(peer), lookup.Peers.Count, lookup.Report));
            finding?.Increment(1);
        }

        return new SwarmResult(count, fresh.LocalEndPoint, rows, start.Elapsed, nodes.Take(count).Average(node => node.GetStatistics().RoutingTableSize));
    }

    private static void Show(IAnsiConsole console, SwarmResult result)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("infohash").AddColumn("announced by").AddColumn(new TableColumn("accepted").RightAligned())
            .AddColumn("found").AddColumn(new TableColumn("peers").RightAligned()).AddColumn(new TableColumn("queried").RightAligned())
            .AddColumn(new TableColumn("hops").RightAligned()).AddColumn(new TableColumn("ms").RightAligned());
        foreach (SwarmRow row in result.Rows)
        {
            table.AddRow(
                row.InfoHash.ToString()[..8],
                row.AnnouncedBy.ToString(),
                row.Accepted.ToString(System.Globalization.CultureInfo.InvariantCulture),
                row.Found ? "[green]yes[/]" : "[red]no[/]",
                row.Peers.ToString(System.Globalization.CultureInfo.InvariantCulture),
                row.Lookup.NodesQueried.ToString(System.Globalization.CultureInfo.InvariantCulture),
                row.Lookup.RoundTrips.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Targets.Milliseconds(row.Lookup.Elapsed));
        }

        console.Write(table);
        int found = result.Rows.Count(r => r.Found);
        console.MarkupLine(
            $"{result.Nodes} nodes (routing tables {result.AverageTableSize:F1} nodes on average), looked up from {Markup.Escape(result.Fresh.ToString())}: " +
            (result.AllFound ? $"[green]found {found} of {result.Rows.Count}[/]" : $"[red]found {found} of {result.Rows.Count}[/]") +
            $" in {result.Elapsed.TotalSeconds:F1} s");
    }

    private sealed record SwarmRow(NodeId InfoHash, IPEndPoint AnnouncedBy, IPEndPoint Peer, int Accepted, bool Found, int Peers, LookupReport Lookup);

    private sealed record SwarmResult(int Nodes, IPEndPoint Fresh, List<SwarmRow> Rows, TimeSpan Elapsed, double AverageTableSize)
    {
        public bool AllFound => Rows.All(r => r.Found);

        public Dictionary<string, object> ToJson() => new()
        {
            ["nodes"] = Nodes,
            ["fresh_node"] = Fresh.ToString(),
            ["found_all"] = AllFound,
            ["elapsed_ms"] = Math.Round(Elapsed.TotalMilliseconds, 1),
            ["average_routing_table_size"] = Math.Round(AverageTableSize, 1),
            ["infohashes"] = Rows.Select(r => new Dictionary<string, object>
            {
                ["infohash"] = r.InfoHash.ToString(),
                ["announced_by"] = r.AnnouncedBy.ToString(),
                ["peer"] = r.Peer.ToString(),
                ["accepted"] = r.Accepted,
                ["found"] = r.Found,
                ["peers"] = r.Peers,
                ["report"] = LookupCommands.ReportJson(r.Lookup),
            }).ToArray(),
        };
    }
}
