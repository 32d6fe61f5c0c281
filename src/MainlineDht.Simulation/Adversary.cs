using System.Buffers;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.Simulation;

/// <summary>What kind of adversary a simulated node is.</summary>
internal enum AdversaryKind
{
    /// <summary>
    /// A Sybil: one of many nodes run from a few /24s, with ids placed next to the infohashes being
    /// looked up; it answers every lookup query with the Sybils closest to the target (each other),
    /// hands out write tokens, and accepts every announce without storing it.
    /// </summary>
    Sybil,

    /// <summary>
    /// A poisoner: it answers every lookup query with nodes whose ids lie next to the target and
    /// whose addresses are junk (unspecified, broadcast, multicast, port 0, loopback, private) or
    /// lead nowhere (public addresses no node holds); it accepts every announce without storing it.
    /// </summary>
    Poison,
}

/// <summary>
/// The adversarial half of a simulated node: a real <see cref="DhtNode"/> joins, pings and keeps its
/// table as any node does (so that honest nodes take it in), while this answers the queries that
/// steer lookups (<c>find_node</c>, <c>get_peers</c>, <c>announce_peer</c>, and any other with a
/// target) its own way. Runs on the network's loop.
/// </summary>
internal sealed class Adversary
{
    private static readonly byte[] Token = "sybl"u8.ToArray();

    private readonly SimulatedNetwork _network;
    private readonly SimulatedNode _node;
    private readonly AdversaryKind _kind;
    private readonly IReadOnlyList<SimulatedNode> _sybils;
    private readonly Random _random;

    /// <param name="network">The network.</param>
    /// <param name="node">The node it speaks for.</param>
    /// <param name="kind">What it does.</param>
    /// <param name="sybils">Every Sybil of the network (what a Sybil names).</param>
    /// <param name="random">Its own generator (a poisoner's junk).</param>
    public Adversary(SimulatedNetwork network, SimulatedNode node, AdversaryKind kind, IReadOnlyList<SimulatedNode> sybils, Random random)
    {
        _network = network;
        _node = node;
        _kind = kind;
        _sybils = sybils;
        _random = random;
        node.Intercept = OnDatagram;
    }

    /// <summary>Answers a lookup query its own way; lets pings and replies through to the node.</summary>
    private bool OnDatagram(ReadOnlyMemory<byte> datagram, IPEndPoint source)
    {
        if (!KrpcCodec.TryDecode(datagram, out KrpcMessage? message, out _) || message is not KrpcQuery query || query is PingQuery)
        {
            return false;
        }

        NodeId? target = query switch
        {
            FindNodeQuery f => f.Target,
            GetPeersQuery g => g.InfoHash,
            AnnouncePeerQuery a => a.InfoHash,
            SampleInfohashesQuery s => s.Target,
            GetQuery g => g.Target,
            UnknownQuery u => u.Target ?? u.InfoHash,
            _ => null,
        };
        if (target is not NodeId toward)
        {
            return false;
        }

        byte[] ip = new byte[CompactFormat.PeerV6Size];
        int ipLength = CompactFormat.WritePeer(source, ip);
        var response = new KrpcResponse
        {
            Id = _node.Node.Id,
            TransactionId = query.TransactionId,
            ExternalAddress = ip.AsMemory(0, ipLength),
            Nodes = query is AnnouncePeerQuery ? default : Names(toward),
            Token = query is GetPeersQuery ? Token : default,
            IncludedKeys = query is AnnouncePeerQuery ? KrpcResponseKeys.None : KrpcResponseKeys.Nodes,
        };
        byte[] buffer = ArrayPool<byte>.Shared.Rent(KrpcCodec.MaxDatagramSize);
        try
        {
            if (KrpcCodec.TryEncode(response, buffer, out int written))
            {
                _network.Send(_node.Index, buffer.AsSpan(0, written), source);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return true;
    }

    /// <summary>The nodes a reply names: the Sybils closest to the target, or a poisoner's junk next to it.</summary>
    private byte[] Names(NodeId target)
    {
        var nodes = new List<NodeInfo>(8);
        if (_kind == AdversaryKind.Sybil)
        {
            foreach (SimulatedNode sybil in _sybils.Where(s => s.IsOnline).OrderBy(s => s.Node.Id, Comparer<NodeId>.Create(target.CompareDistance)).Take(8))
            {
                nodes.Add(new NodeInfo(sybil.Node.Id, sybil.EndPoint));
            }
        }
        else
        {
            for (int i = 0; i < 8; i++)
            {
                nodes.Add(new NodeInfo(NodeId.CreateRandomInRange(target, 40, _random), Junk(i)));
            }
        }

        return CompactFormat.WriteNodes(nodes, AddressFamily.InterNetwork);
    }

    /// <summary>An address that leads nowhere: a kind of junk for each slot, half of them public addresses no node holds.</summary>
    private IPEndPoint Junk(int slot) => slot switch
    {
        0 => new IPEndPoint(new IPAddress([0, 0, 0, (byte)_random.Next(256)]), SimulatedNetwork.Port),
        1 => new IPEndPoint(IPAddress.Broadcast, SimulatedNetwork.Port),
        2 => new IPEndPoint(new IPAddress([224, 0, 0, (byte)_random.Next(1, 255)]), SimulatedNetwork.Port),
        3 => new IPEndPoint(new IPAddress([(byte)_random.Next(11, 99), (byte)_random.Next(256), (byte)_random.Next(256), 1]), 0),
        4 => new IPEndPoint(IPAddress.Loopback, SimulatedNetwork.Port),
        5 => new IPEndPoint(new IPAddress([192, 168, (byte)_random.Next(256), (byte)_random.Next(1, 255)]), SimulatedNetwork.Port),
        _ => new IPEndPoint(new IPAddress([(byte)_random.Next(11, 99), (byte)_random.Next(256), (byte)_random.Next(256), 7]), SimulatedNetwork.Port),
    };
}
