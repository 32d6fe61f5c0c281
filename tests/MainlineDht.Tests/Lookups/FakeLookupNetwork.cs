using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>A node of a <see cref="FakeLookupNetwork"/>: how it answers any query.</summary>
/// <param name="AnswersAs">The id it answers with.</param>
internal sealed record FakeNode(NodeId AnswersAs)
{
    /// <summary>What it returns in <c>nodes</c> (IPv4 entries).</summary>
    public NodeInfo[] Nodes { get; init; } = [];

    /// <summary>What it returns in <c>nodes6</c> (IPv6 entries).</summary>
    public NodeInfo[] Nodes6 { get; init; } = [];

    /// <summary>Bytes appended to its <c>nodes6</c> as they are (entries <see cref="CompactFormat.WriteNodes"/> would not write).</summary>
    public byte[] RawNodes6 { get; init; } = [];

    /// <summary>What it returns in <c>values</c>.</summary>
    public IPEndPoint[] Values { get; init; } = [];

    /// <summary>Its write token (in every response, to keep the fake simple); null for none.</summary>
    public byte[]? Token { get; init; } = "tk"u8.ToArray();

    /// <summary>How long it takes to answer (on the network's virtual clock); null: it never answers.</summary>
    public TimeSpan? Delay { get; init; } = TimeSpan.Zero;

    /// <summary>BEP 33 <c>BFsd</c> it returns to a <c>get_peers</c> with <c>scrape</c> (empty: none).</summary>
    public byte[] SeedsFilter { get; init; } = [];

    /// <summary>BEP 33 <c>BFpe</c> it returns to a <c>get_peers</c> with <c>scrape</c> (empty: none).</summary>
    public byte[] PeersFilter { get; init; } = [];

    /// <summary>Answers announce_peer with a KRPC error instead of a response.</summary>
    public bool RefusesAnnounce { get; init; }

    /// <summary>BEP 44: what it returns to a <c>get</c> (<c>v</c>, and <c>k</c>, <c>seq</c>, <c>sig</c> when set); null: no item.</summary>
    public (byte[] Value, byte[]? Key, long? Sequence, byte[]? Signature)? Item { get; init; }

    /// <summary>BEP 44: the error it answers a <c>put</c> with; null: it accepts.</summary>
    public (int Code, string Message)? PutError { get; init; }
}

/// <summary>
/// An <see cref="ILookupNetwork"/> with no sockets: nodes are entries of a dictionary that answer on
/// a virtual clock, and every query sent is recorded.
/// </summary>
internal sealed class FakeLookupNetwork(AddressFamily family, NodeId localId, VirtualTimeProvider clock) : ILookupNetwork
{
    private readonly List<(NodeId? Id, IPEndPoint EndPoint)> _starting = [];

    public Dictionary<IPEndPoint, FakeNode> Nodes { get; } = [];

    /// <summary>Every query sent, in order: what, where, and the id expected there.</summary>
    public List<(KrpcQuery Query, IPEndPoint EndPoint, NodeId? ExpectedId)> Sent { get; } = [];

    /// <summary>Queries sent and not answered yet.</summary>
    public int InFlight { get; private set; }

    /// <summary>The most queries that were in flight at once.</summary>
    public int MaxInFlight { get; private set; }

    public AddressFamily Family => family;

    public NodeId LocalId => localId;

    public ReadOnlyMemory<byte> Version => "FK01"u8.ToArray();

    public bool ReadOnly => false;

    public TimeSpan SlowAfter { get; init; } = TimeSpan.FromSeconds(1);

    public IpDiversity IpDiversity { get; init; } = IpDiversity.Public;

    /// <summary>Nodes named in replies that <see cref="ShouldFollow"/> turned down.</summary>
    public List<IPEndPoint> NotFollowed { get; } = [];

    /// <summary>Follows everything but port 0 (the engine's junk filter is tested on its own).</summary>
    public bool ShouldFollow(NodeId id, IPEndPoint endPoint, IPEndPoint namedBy)
    {
        if (endPoint.Port == 0)
        {
            NotFollowed.Add(endPoint);
            return false;
        }

        return true;
    }

    public FakeLookupNetwork Starting(params (NodeId? Id, IPEndPoint EndPoint)[] candidates)
    {
        _starting.AddRange(candidates);
        return this;
    }

    public IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)> StartingCandidates(NodeId target) => _starting;

    /// <summary>The round trips the "routing table" measured, by node id (<see cref="MeasuredRoundTrip"/>).</summary>
    public Dictionary<NodeId, TimeSpan> RoundTrips { get; } = [];

    public TimeSpan? MeasuredRoundTrip(NodeId id) => RoundTrips.TryGetValue(id, out TimeSpan rtt) ? rtt : null;

    /// <summary>The queries of <typeparamref name="T"/> sent, in order.</summary>
    public List<(T Query, IPEndPoint EndPoint)> SentOf<T>()
        where T : KrpcQuery =>
        Sent.Where(s => s.Query is T).Select(s => ((T)s.Query, s.EndPoint)).ToList();

    public Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken)
    {
        Sent.Add((query, endPoint, expectedId));
        if (!Nodes.TryGetValue(endPoint, out FakeNode? node) || node.Delay is not TimeSpan delay)
        {
            // Nobody there: a timeout, after the query timeout a real node would wait.
            return After(TimeSpan.FromSeconds(5), new RpcResult(RpcStatus.Timeout, endPoint, null, null, TimeSpan.Zero));
        }

        if (query is AnnouncePeerQuery && node.RefusesAnnounce)
        {
            return After(delay, new RpcResult(RpcStatus.Error, endPoint, null, new KrpcError { Code = 203, Message = "bad token"u8.ToArray() }, delay));
        }

        if (query is PutQuery && node.PutError is (int code, string message))
        {
            return After(delay, new RpcResult(RpcStatus.Error, endPoint, null, new KrpcError { Code = code, Message = System.Text.Encoding.ASCII.GetBytes(message) }, delay));
        }

        var response = new KrpcResponse
        {
            Id = node.AnswersAs,
            Nodes = CompactFormat.WriteNodes(node.Nodes, AddressFamily.InterNetwork),
            Nodes6 = (byte[])[.. CompactFormat.WriteNodes(node.Nodes6, AddressFamily.InterNetworkV6), .. node.RawNodes6],
            Token = node.Token ?? default(ReadOnlyMemory<byte>),
            Values = query is GetPeersQuery && node.Values.Length > 0 ? CompactPeerList.Create(node.Values) : default,
            Value = query is GetQuery && node.Item is { } item ? item.Value : default,
            PublicKey = query is GetQuery && node.Item is { Key: { } key } ? key : default,
            Sequence = query is GetQuery ? node.Item?.Sequence : null,
            Signature = query is GetQuery && node.Item is { Signature: { } signature } ? signature : default,
            SeedsFilter = query is GetPeersQuery { Scrape: true } ? node.SeedsFilter : default(ReadOnlyMemory<byte>),
            PeersFilter = query is GetPeersQuery { Scrape: true } ? node.PeersFilter : default(ReadOnlyMemory<byte>),
        };
        return After(delay, new RpcResult(RpcStatus.Response, endPoint, response, null, delay));
    }

    private Task<RpcResult> After(TimeSpan delay, RpcResult result)
    {
        InFlight++;
        MaxInFlight = Math.Max(MaxInFlight, InFlight);
        var done = new TaskCompletionSource<RpcResult>();
        ITimer? timer = null;
        timer = clock.CreateTimer(
            _ =>
            {
                timer!.Dispose();
                InFlight--;
                done.TrySetResult(result);
            },
            null,
            delay,
            Timeout.InfiniteTimeSpan);
        return done.Task;
    }
}
