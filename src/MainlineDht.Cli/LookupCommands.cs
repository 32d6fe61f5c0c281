using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Cli;

/// <summary>
/// <c>get-peers</c>, <c>announce</c>, <c>find-node</c> and <c>ping</c>: one-shot commands on a
/// short-lived node, BEP 43 read-only unless <c>--full-node</c> is given (see <see cref="CommonOptions"/>).
/// </summary>
internal static class LookupCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command GetPeers()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var target = new Argument<string>("infohash") { Description = "The infohash (40 hex digits) or a magnet link." };
        var trace = TraceOption();
        var command = new Command("get-peers", "Find peers for an infohash; prints one ip:port per line. Exit 0 if any peer was found, 1 if none.") { target };
        common.AddTo(command);
        command.Options.Add(trace);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            NodeId infoHash = Targets.ParseInfoHash(parse.GetValue(target)!);
            bool json = parse.GetValue(common.Json);
            bool traced = parse.GetValue(trace);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);
            PeerLookupResult result = await node.LookupPeersAsync(infoHash, new LookupOptions { Trace = traced }, timeout.Token).ConfigureAwait(false);
            if (json)
            {
                var document = new Dictionary<string, object?>
                {
                    ["infohash"] = infoHash.ToString(),
                    ["peers"] = result.Peers.Select(p => p.ToString()).ToArray(),
                    ["first_peer_ms"] = Milliseconds(result.Report.FirstPeerAfter), // what a torrent client waits for; also in "report"
                    ["report"] = ReportJson(result.Report),
                    ["warnings"] = warnings.ToArray(),
                };
                AddTrace(document, result.Report, traced);
                Console.WriteLine(JsonSerializer.Serialize(document, Json));
            }
            else
            {
                WriteTrace(result.Report, traced);
                foreach (IPEndPoint peer in result.Peers)
                {
                    Console.WriteLine(peer);
                }
            }

            return result.Peers.Count > 0 ? 0 : 1;
        }));
        return command;
    }

    public static Command Announce()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var target = new Argument<string>("infohash") { Description = "The infohash (40 hex digits) or a magnet link." };
        var peerPort = new Option<int?>("--peer-port") { Description = "The port peers should connect to." };
        var implied = new Option<bool>("--implied-port") { Description = "Ask nodes to use our UDP source port instead of --peer-port." };
        var command = new Command("announce", "Announce a peer for an infohash. Exit 0 if at least one node accepted.") { target };
        common.AddTo(command);
        command.Options.Add(peerPort);
        command.Options.Add(implied);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            NodeId infoHash = Targets.ParseInfoHash(parse.GetValue(target)!);
            bool impliedPort = parse.GetValue(implied);
            int port = parse.GetValue(peerPort) ?? 0;
            if (!impliedPort && port is < 1 or > 65535)
            {
                throw new CliException("--peer-port must be given, from 1 to 65535 (or use --implied-port).");
            }

            bool json = parse.GetValue(common.Json);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);
            LookupReport report = await node.AnnounceAsync(infoHash, port, impliedPort, timeout.Token).ConfigureAwait(false);
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["infohash"] = infoHash.ToString(),
                    ["port"] = impliedPort ? node.LocalEndPoint.Port : port,
                    // The port IPv6 nodes store (with --implied-port the IPv6 socket's own); null without IPv6.
                    ["port_v6"] = node.LocalEndPointV6 is { } v6 ? (impliedPort ? v6.Port : port) : null,
                    ["implied_port"] = impliedPort,
                    ["accepted"] = report.AnnouncedTo.Select(NodeJson).ToArray(),
                    ["report"] = ReportJson(report),
                    ["warnings"] = warnings.ToArray(),
                }, Json));
            }
            else
            {
                Console.WriteLine($"announced {infoHash} to {report.AnnouncedTo.Count} nodes");
                foreach (NodeInfo accepted in report.AnnouncedTo)
                {
                    Console.WriteLine($"  {accepted.Id} {accepted.EndPoint}");
                }
            }

            return report.AnnouncedTo.Count > 0 ? 0 : 1;
        }));
        return command;
    }

    public static Command FindNode()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true, publicRouters: true);
        var target = new Argument<string>("id") { Description = "The node id to look for (40 hex digits)." };
        var trace = TraceOption();
        var command = new Command("find-node", "Find the nodes closest to an id; prints 'id ip:port' per line, closest first.") { target };
        common.AddTo(command);
        command.Options.Add(trace);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            NodeId id = Targets.ParseNodeId(parse.GetValue(target)!);
            bool json = parse.GetValue(common.Json);
            bool traced = parse.GetValue(trace);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            await using DhtNode node = await common.StartJoinedNodeAsync(parse, warnings, timeout.Token).ConfigureAwait(false);
            LookupReport report = await node.FindNodeAsync(id, new LookupOptions { Trace = traced }, timeout.Token).ConfigureAwait(false);
            if (json)
            {
                var document = new Dictionary<string, object?>
                {
                    ["target"] = id.ToString(),
                    ["nodes"] = report.ClosestNodes.Select(NodeJson).ToArray(),
                    ["report"] = ReportJson(report),
                    ["warnings"] = warnings.ToArray(),
                };
                AddTrace(document, report, traced);
                Console.WriteLine(JsonSerializer.Serialize(document, Json));
            }
            else
            {
                WriteTrace(report, traced);
                foreach (NodeInfo found in report.ClosestNodes)
                {
                    Console.WriteLine($"{found.Id} {found.EndPoint}");
                }
            }

            return report.ClosestNodes.Count > 0 ? 0 : 1;
        }));
        return command;
    }

    public static Command Ping()
    {
        var common = new CommonOptions(defaultPort: 0, oneShot: true);
        var target = new Argument<string>("endpoint") { Description = "The node to ping, host:port ([address]:port for IPv6)." };
        var command = new Command("ping", "Ping one node. Exit 0 if it answered, 1 if not.") { target };
        common.AddTo(command);
        command.SetAction((parse, cancellationToken) => Cli.RunAsync(async warnings =>
        {
            string text = parse.GetValue(target)!;
            if (!HostEndPoint.TryParse(text, out HostEndPoint host))
            {
                throw new CliException($"'{text}' is not host:port (an IPv6 address as [address]:port).");
            }

            bool json = parse.GetValue(common.Json);
            using CancellationTokenSource timeout = common.TimeoutSource(parse, cancellationToken);
            DhtNodeOptions options = common.ToNodeOptions(parse, warnings) with
            {
                QueryTimeout = TimeSpan.FromSeconds(Math.Min(parse.GetValue(common.Timeout), 30)),
                UsePublicRouters = false,
            };
            AddressFamily preferred = options.BindEndPoint is not null ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
            IPEndPoint endPoint = await CommonOptions.ResolveAsync(host, preferred, timeout.Token).ConfigureAwait(false);
            if ((endPoint.AddressFamily == AddressFamily.InterNetwork ? options.BindEndPoint : options.BindEndPointV6) is null)
            {
                string family = endPoint.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
                throw new CliException($"cannot ping {endPoint}: no {family} address is bound (--bind {CommonOptions.EndPoints(options.BindEndPoint, options.BindEndPointV6)}).");
            }

            await using DhtNode node = await CommonOptions.StartNodeAsync(options, timeout.Token).ConfigureAwait(false);
            RpcResult result = await node.PingAsync(endPoint, timeout.Token).ConfigureAwait(false);
            bool answered = result.Status == RpcStatus.Response;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["endpoint"] = endPoint.ToString(),
                    ["status"] = result.Status.ToString().ToLowerInvariant(),
                    ["id"] = result.Response?.Id.ToString(),
                    ["rtt_ms"] = answered ? Math.Round(result.RoundTripTime.TotalMilliseconds, 3) : null,
                    ["version"] = result.Response is { Version.IsEmpty: false } r ? Convert.ToHexString(r.Version.Span) : null,
                    ["warnings"] = warnings.ToArray(),
                }, Json));
            }
            else if (answered)
            {
                Console.WriteLine($"{endPoint}: id {result.Response!.Id}, {Targets.Milliseconds(result.RoundTripTime)} ms");
            }
            else
            {
                Console.Error.WriteLine($"error: {endPoint} did not answer ({result.Status.ToString().ToLowerInvariant()})");
            }

            return answered ? 0 : 1;
        }));
        return command;
    }

    /// <summary><c>--trace</c>: the path the lookup took (see <see cref="TraceView"/>).</summary>
    private static Option<bool> TraceOption() => new("--trace")
    {
        Description = "Also show the path the lookup took: each round, the nodes asked, their distance to the target (bits shared with it), round trip and reply. Printed before the results; with --json, a \"trace\" array.",
    };

    /// <summary>With --trace, the trace in the JSON document (key <c>trace</c>); without, the document is as it always was.</summary>
    private static void AddTrace(Dictionary<string, object?> document, LookupReport report, bool traced)
    {
        if (traced)
        {
            document["trace"] = TraceView.Json(report);
        }
    }

    /// <summary>With --trace, the trace as text before the results, then an empty line.</summary>
    private static void WriteTrace(LookupReport report, bool traced)
    {
        if (traced)
        {
            Spectre.Console.IAnsiConsole console = Terminal.CreateConsole();
            if (!Terminal.IsInteractive)
            {
                console.Profile.Width = 512; // a file or a pipe: one line per query, never wrapped at 80 columns
            }

            TraceView.Write(console, report);
            Console.WriteLine();
        }
    }

    /// <summary>
    /// A lookup's report in JSON. <c>first_peer_ms</c>: time to the first peer (null when none was
    /// found, or for a lookup that looks for no peers); <c>closest_ms</c>: time until the closest nodes
    /// it ended with had answered (null when none answered).
    /// </summary>
    public static Dictionary<string, object?> ReportJson(LookupReport report) => new()
    {
        ["nodes_queried"] = report.NodesQueried,
        ["replies"] = report.Replies,
        ["errors"] = report.Errors,
        ["timeouts"] = report.Timeouts,
        ["round_trips"] = report.RoundTrips,
        ["elapsed_ms"] = Math.Round(report.Elapsed.TotalMilliseconds, 1),
        ["first_peer_ms"] = Milliseconds(report.FirstPeerAfter),
        ["closest_ms"] = Milliseconds(report.ClosestAnsweredAfter),
        ["closest_nodes"] = report.ClosestNodes.Select(NodeJson).ToArray(),
    };

    private static double? Milliseconds(TimeSpan? time) => time is TimeSpan t ? Math.Round(t.TotalMilliseconds, 1) : null;

    /// <summary>A node in JSON: its id, its endpoint, and its address family (<c>ipv4</c>, IPv4-mapped included, or <c>ipv6</c>).</summary>
    public static Dictionary<string, string> NodeJson(NodeInfo node) => new()
    {
        ["id"] = node.Id.ToString(),
        ["endpoint"] = node.EndPoint.ToString(),
        ["family"] = node.EndPoint.AddressFamily == AddressFamily.InterNetwork || node.EndPoint.Address.IsIPv4MappedToIPv6 ? "ipv4" : "ipv6",
    };
}
