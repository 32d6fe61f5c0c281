using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using MainlineDht.Protocol;

namespace MainlineDht.InteropTests.Support;

/// <summary>The harness commands (see <c>harness/README.md</c>), one method each.</summary>
public sealed partial class RealDhtClient
{
    /// <summary>The client's DHT node of <paramref name="family"/>, or null when it runs none.</summary>
    public ClientSocket? Socket(AddressFamily family) => Sockets.FirstOrDefault(s => s.EndPoint.AddressFamily == family);

    /// <summary>
    /// <c>add_node</c>: the client contacts <paramref name="node"/> (libtorrent with a
    /// <c>get_peers</c>, bittorrent-dht with a <c>ping</c>) and adds it when it answers. With
    /// <paramref name="wait"/>, returns whether it entered the routing table within that time.
    /// An IPv6 node (<c>[::1]:port</c>) goes to a dual-stack libtorrent's IPv6 node.
    /// </summary>
    public async Task<(bool InTable, NodeId? Id)> AddNodeAsync(IPEndPoint node, TimeSpan? wait = null)
    {
        var command = new JsonObject { ["cmd"] = "add_node", ["host"] = node.Address.ToString(), ["port"] = node.Port };
        if (wait is TimeSpan w)
        {
            command["wait"] = w.TotalSeconds;
        }

        JsonObject reply = await CommandAsync(command, (wait ?? TimeSpan.Zero) + TimeSpan.FromSeconds(10));
        ThrowIfFailed(command, reply);
        bool inTable = (bool?)reply["in_table"] ?? false;
        return (inTable, inTable ? NodeId.Parse((string)reply["id"]!) : null);
    }

    /// <summary>
    /// <c>announce</c>: the client's own get_peers traversal, then <c>announce_peer</c> to the
    /// nodes that gave a token. libtorrent always announces its listen port (= <see cref="EndPoint"/>'s
    /// port); a dual-stack libtorrent announces on both families, each its own socket's port.
    /// </summary>
    public async Task<AnnounceResult> AnnounceAsync(NodeId infoHash, int? port, TimeSpan timeout)
    {
        var command = new JsonObject { ["cmd"] = "announce", ["info_hash"] = infoHash.ToString(), ["timeout"] = timeout.TotalSeconds };
        if (port is int p)
        {
            command["port"] = p;
        }

        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(10));
        var ports = new Dictionary<AddressFamily, int>();
        if (reply["announced_ports"] is JsonObject byFamily)
        {
            foreach ((string family, JsonNode? value) in byFamily)
            {
                ports[Family(family)] = (int)value!;
            }
        }

        return new AnnounceResult(
            (bool?)reply["ok"] ?? false,
            (int?)reply["announced_port"] ?? 0,
            (int?)reply["sent_to"] ?? 0,
            (string?)reply["error"])
        {
            AnnouncedTo = reply["announced_to"] is JsonArray to ? to.Select(e => IPEndPoint.Parse((string)e!)).ToList() : [],
            AnnouncedPorts = ports,
        };
    }

    /// <summary>
    /// <c>get_peers</c>: the client's own lookup (a dual-stack libtorrent's: one per family, both
    /// awaited); the peers it found, <c>[::1]:port</c> ones included, and whether it ran out of time.
    /// </summary>
    public async Task<(IReadOnlyList<IPEndPoint> Peers, bool TimedOut)> GetPeersAsync(NodeId infoHash, TimeSpan timeout)
    {
        var command = new JsonObject { ["cmd"] = "get_peers", ["info_hash"] = infoHash.ToString(), ["timeout"] = timeout.TotalSeconds };
        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(10));
        ThrowIfFailed(command, reply);
        var peers = reply["peers"]!.AsArray().Select(p => IPEndPoint.Parse((string)p!)).ToList();
        return (peers, (bool?)reply["timed_out"] ?? false);
    }

    /// <summary>
    /// <c>routing_table</c>: the nodes in the client's live routing table; for a dual-stack
    /// libtorrent, those of both families' tables, or of <paramref name="family"/>'s only.
    /// </summary>
    public async Task<IReadOnlyList<NodeInfo>> RoutingTableAsync(AddressFamily? family = null)
    {
        var command = new JsonObject { ["cmd"] = "routing_table" };
        if (family is AddressFamily f)
        {
            command["family"] = FamilyName(f);
        }

        JsonObject reply = await CommandAsync(command, TimeSpan.FromSeconds(15));
        ThrowIfFailed(command, reply);
        return Nodes(reply["nodes"]!.AsArray());
    }

    /// <summary>
    /// <c>buckets</c> (libtorrent only): for each bucket of the client's routing table (of
    /// <paramref name="family"/>'s node; by default the first one, <see cref="EndPoint"/>'s), how
    /// many live nodes and how many replacements it holds.
    /// </summary>
    public async Task<IReadOnlyList<(int Nodes, int Replacements)>> BucketsAsync(AddressFamily? family = null)
    {
        if (Kind != DhtClientKind.Libtorrent)
        {
            throw new NotSupportedException("bittorrent-dht's k-bucket keeps no replacements.");
        }

        var command = new JsonObject { ["cmd"] = "buckets" };
        if (family is AddressFamily f)
        {
            command["family"] = FamilyName(f);
        }

        JsonObject reply = await CommandAsync(command, TimeSpan.FromSeconds(15));
        ThrowIfFailed(command, reply);
        return reply["buckets"]!.AsArray().Select(b => ((int)b!["nodes"]!, (int)b["replacements"]!)).ToList();
    }

    /// <summary>
    /// <c>find_node</c> (bittorrent-dht only): one <c>find_node</c> query from the client straight
    /// to <paramref name="node"/>; the replier's id and the nodes of its reply, as the client read them.
    /// </summary>
    public async Task<(NodeId Id, IReadOnlyList<NodeInfo> Nodes)> FindNodeAsync(IPEndPoint node, NodeId target, TimeSpan timeout)
    {
        if (Kind != DhtClientKind.WebTorrent)
        {
            throw new NotSupportedException("libtorrent 2.0.8's Python bindings cannot send a single query.");
        }

        var command = new JsonObject
        {
            ["cmd"] = "find_node", ["host"] = node.Address.ToString(), ["port"] = node.Port,
            ["target"] = target.ToString(), ["timeout"] = timeout.TotalSeconds,
        };
        JsonObject reply = await CommandAsync(command, timeout + TimeSpan.FromSeconds(10));
        ThrowIfFailed(command, reply);
        return (NodeId.Parse((string)reply["id"]!), Nodes(reply["nodes"]!.AsArray()));
    }

    private void ThrowIfFailed(JsonObject command, JsonObject reply)
    {
        if ((bool?)reply["ok"] != true)
        {
            throw new InvalidOperationException($"{Kind} harness: {command.ToJsonString()} failed: {reply.ToJsonString()}; stderr:\n{StderrTail}");
        }
    }

    private static List<NodeInfo> Nodes(JsonArray nodes) =>
        nodes.Select(n => new NodeInfo(NodeId.Parse((string)n!["id"]!), new IPEndPoint(IPAddress.Parse((string)n["host"]!), (int)n["port"]!))).ToList();

    private static string FamilyName(AddressFamily family) => family switch
    {
        AddressFamily.InterNetwork => "ipv4",
        AddressFamily.InterNetworkV6 => "ipv6",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "IPv4 or IPv6 only."),
    };

    private static AddressFamily Family(string name) => name switch
    {
        "ipv4" => AddressFamily.InterNetwork,
        "ipv6" => AddressFamily.InterNetworkV6,
        _ => throw new FormatException($"Unknown address family '{name}' from the harness."),
    };
}

/// <summary>One DHT node of a real client: libtorrent runs one per listen socket, so one per address family.</summary>
/// <param name="EndPoint">Where the node listens (its address and UDP port).</param>
/// <param name="Id">Its node id (each family's node has its own).</param>
public sealed record ClientSocket(IPEndPoint EndPoint, NodeId Id);

/// <summary>What a client's <c>announce</c> command reported.</summary>
/// <param name="Ok">True when <c>announce_peer</c> went out to at least one node that gave a token.</param>
/// <param name="AnnouncedPort">The port announced (libtorrent: always its listen port).</param>
/// <param name="SentTo">How many nodes got <c>announce_peer</c> (the client's own count, for one traversal).</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record AnnounceResult(bool Ok, int AnnouncedPort, int SentTo, string? Error)
{
    /// <summary>libtorrent only: every node (of either family) its <c>announce_peer</c> went to.</summary>
    public IReadOnlyList<IPEndPoint> AnnouncedTo { get; init; } = [];

    /// <summary>libtorrent only: the port its <c>announce_peer</c> queries carried, per family (each socket's own listen port).</summary>
    public IReadOnlyDictionary<AddressFamily, int> AnnouncedPorts { get; init; } = new Dictionary<AddressFamily, int>();
}
