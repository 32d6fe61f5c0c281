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
/// announce a few infohashes which a fresh node then looks up; the whole job on one machine. With an
/// IPv6 <c>--bind</c> too (or alone) every node also runs on that one IPv6 address (BEP 32), each on
/// its own port (<c>::1</c> is the only IPv6 loopback address): consecutive ports from <c>--port</c>, or
/// free ones with <c>--port 0</c>.
/// </summary>
internal static class SwarmCommand
{
    private const int InfoHashCount = 5;

    public static Command Create()
    {
        var common = new CommonOptions(defaultBind: ["127.0.1.1"], defaultPort: 6881);
        var count = new Option<int>("--nodes") { Description = "How many nodes to start.", DefaultValueFactory = _ => 64 };
        var duration = new Option<double?>("--duration") { Description = "Seconds to keep serving after the demonstration (other programs may join)." };
        var command = new Command("swarm", "Start N nodes on consecutive loopback addresses (and, with an IPv6 --bind such as ::1, on consecutive ports of that address), announce infohashes and find them from a fresh node.");
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
            if (template.BindEndPointV6 is { } v6)
            {
                if (v6.Address.Equals(IPAddress.IPv6Any))
                {
                    throw new CliException("--bind: a swarm's IPv6 address must be one address, such as ::1, not ::.");
                }

                if (v6.Port != 0 && v6.Port + n > IPEndPoint.MaxPort)
                {
                    throw new CliException($"--port: the swarm's IPv6 nodes take ports {v6.Port} to {v6.Port + n}, past 65535.");
                }
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
                    Dictionary<string, object?> document = result.ToJson();
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
                        string range = $"{nodes[0].LocalEndPoint} … {nodes[^1].LocalEndPoint}";
                        if (nodes[0].LocalEndPointV6 is { } first6 && !first6.Equals(nodes[0].LocalEndPoint))
                        {
                            range += $" and {first6} … {nodes[^1].LocalEndPointV6}";
                        }

                        console.MarkupLine($"serving for {seconds:F0} s on {Markup.Escape(range)}");
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

    /// <summary>Node <paramref name="index"/>'s endpoints: consecutive IPv4 addresses on one port; one IPv6 address on consecutive ports.</summary>
    private static DhtNodeOptions At(DhtNodeOptions template, int index) => template with
    {
        BindEndPoint = template.BindEndPoint is { } v4 ? new IPEndPoint(AddressAt(v4.Address, index), v4.Port) : null,
        BindEndPointV6 = template.BindEndPointV6 is { } v6 ? new IPEndPoint(v6.Address, v6.Port == 0 ? 0 : v6.Port + index) : null,
    };

    /// <summary>A node's endpoints to join through: its IPv4 one and its IPv6 one.</summary>
    private static IEnumerable<string> Contacts(DhtNode node) =>
        new[] { node.LocalEndPoint, node.LocalEndPointV6 }.OfType<IPEndPoint>().Distinct().Select(e => e.ToString());

    private static async Task<SwarmResult> RunAsync(DhtNodeOptions template, int count, List<DhtNode> nodes, ProgressContext? progress, CancellationToken cancellationToken)
    {
        ProgressTask? starting = progress?.AddTask($"starting {count} nodes", maxValue: count);
        ProgressTask? joining = progress?.AddTask("joining", maxValue: count);
        ProgressTask? announcing = progress?.AddTask($"announcing {InfoHashCount} infohashes", maxValue: InfoHashCount);
        ProgressTask? finding = progress?.AddTask("finding them from a fresh node", maxValue: InfoHashCount);
        var start = System.Diagnostics.Stopwatch.StartNew();

        for (int i = 0; i < count; i++)
        {
            IReadOnlyList<string> bootstrap = i == 0
                ? template.BootstrapNodes
                : [.. template.BootstrapNodes, .. Contacts(nodes[0]), .. Contacts(nodes[i - 1])];
            nodes.Add(await CommonOptions.StartNodeAsync(At(template, i) with
            {
                BootstrapNodes = bootstrap,
                UsePublicRouters = false,
                QueriesPerSecondPerIp = 0, // every IPv6 node shares one address: no per-IP limit among them
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
        var announced = new List<(NodeId InfoHash, DhtNode By, IReadOnlyList<IPEndPoint> Peers, LookupReport Report)>();
        for (int i = 0; i < InfoHashCount; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(random);
            DhtNode by = nodes[random.Next(nodes.Count)];
            int peerPort = 50_000 + i;
            LookupReport report = await by.AnnounceAsync(infoHash, peerPort, cancellationToken: cancellationToken).ConfigureAwait(false);
            // The peer each family's nodes store: the announcer's address of that family and the port.
            announced.Add((infoHash, by, [.. new[] { by.LocalEndPoint, by.LocalEndPointV6 }.OfType<IPEndPoint>().Distinct().Select(e => new IPEndPoint(e.Address, peerPort))], report));
            announcing?.Increment(1);
        }

        DhtNode fresh = await CommonOptions.StartNodeAsync(At(template, count) with
        {
            BootstrapNodes = [.. Contacts(nodes[random.Next(nodes.Count)])],
            UsePublicRouters = false,
        }, cancellationToken).ConfigureAwait(false);
        nodes.Add(fresh);
        await fresh.JoinAsync(cancellationToken).ConfigureAwait(false);

        var rows = new List<SwarmRow>();
        foreach ((NodeId infoHash, DhtNode by, IReadOnlyList<IPEndPoint> peers, LookupReport announce) in announced)
        {
            PeerLookupResult lookup = await fresh.LookupPeersAsync(infoHash, cancellationToken).ConfigureAwait(false);
            rows.Add(new SwarmRow(infoHash, by.LocalEndPoint, peers, announce.AnnouncedTo.Count, peers.All(lookup.Peers.Contains), lookup.Peers.Count, lookup.Report));
            finding?.Increment(1);
        }

        return new SwarmResult(count, fresh, rows, start.Elapsed, nodes.Take(count).Average(node => node.GetStatistics().RoutingTableSize));
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
            $"{result.Nodes} nodes (routing tables {result.AverageTableSize:F1} nodes on average), looked up from {Markup.Escape(CommonOptions.EndPoints(result.Fresh.LocalEndPoint, result.Fresh.LocalEndPointV6))}: " +
            (result.AllFound ? $"[green]found {found} of {result.Rows.Count}[/]" : $"[red]found {found} of {result.Rows.Count}[/]") +
            $" in {result.Elapsed.TotalSeconds:F1} s");
    }

    /// <param name="Expected">The announced peer as each family's nodes store it (IPv4 first): all must be found.</param>
    private sealed record SwarmRow(NodeId InfoHash, IPEndPoint AnnouncedBy, IReadOnlyList<IPEndPoint> Expected, int Accepted, bool Found, int Peers, LookupReport Lookup);

    private sealed record SwarmResult(int Nodes, DhtNode Fresh, List<SwarmRow> Rows, TimeSpan Elapsed, double AverageTableSize)
    {
        public bool AllFound => Rows.All(r => r.Found);

        public Dictionary<string, object?> ToJson() => new()
        {
            ["nodes"] = Nodes,
            ["fresh_node"] = Fresh.LocalEndPoint.ToString(),
            ["fresh_node_v6"] = Fresh.LocalEndPointV6?.ToString(),
            ["found_all"] = AllFound,
            ["elapsed_ms"] = Math.Round(Elapsed.TotalMilliseconds, 1),
            ["average_routing_table_size"] = Math.Round(AverageTableSize, 1),
            ["infohashes"] = Rows.Select(r => new Dictionary<string, object?>
            {
                ["infohash"] = r.InfoHash.ToString(),
                ["announced_by"] = r.AnnouncedBy.ToString(),
                ["peer"] = r.Expected[0].ToString(),
                ["peer_v6"] = r.Expected.FirstOrDefault(p => p.AddressFamily == AddressFamily.InterNetworkV6)?.ToString(),
                ["accepted"] = r.Accepted,
                ["found"] = r.Found,
                ["peers"] = r.Peers,
                ["report"] = LookupCommands.ReportJson(r.Lookup),
            }).ToArray(),
        };
    }
}
