using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// An <see cref="ILookupNetwork"/> of fake BEP 51 nodes on a virtual clock, for crawl tests: each
/// node holds infohashes and answers <c>sample_infohashes</c> with up to <see cref="SampleSize"/> of them, its
/// <c>interval</c> and 8 random other nodes; some do not know BEP 51 (a response without
/// <c>samples</c>, or error 204), some never answer. Every query is recorded with its time.
/// </summary>
internal sealed class SampleNetwork : ILookupNetwork
{
    private readonly VirtualTimeProvider _clock;
    private readonly Random _random;
    private readonly List<(NodeId? Id, IPEndPoint EndPoint)> _starting = [];

    public SampleNetwork(VirtualTimeProvider clock, int seed)
    {
        _clock = clock;
        _random = new Random(seed);
    }

    /// <summary>One fake node: what it holds and how it answers.</summary>
    internal sealed class Node(NodeId id, IPEndPoint endPoint)
    {
        public NodeId Id { get; } = id;

        public IPEndPoint EndPoint { get; } = endPoint;

        public List<NodeId> InfoHashes { get; } = [];

        public long Interval { get; set; } = 300;

        /// <summary>Null: answers with samples; "response": a response without samples; "error": 204.</summary>
        public string? Bep51Missing { get; set; }

        public bool Dead { get; set; }
    }

    public List<Node> Nodes { get; } = [];

    public Dictionary<IPEndPoint, Node> ByEndPoint { get; } = [];

    /// <summary>Every query sent: when (virtual), where, what.</summary>
    public List<(TimeSpan At, IPEndPoint EndPoint, KrpcQuery Query)> Sent { get; } = [];

    public int InFlight { get; private set; }

    public TimeSpan Delay { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>The most infohashes a reply samples (a real node fits about 40 in a datagram).</summary>
    public int SampleSize { get; set; } = 20;

    public AddressFamily Family => AddressFamily.InterNetwork;

    public IpDiversity IpDiversity => IpDiversity.Public;

    /// <summary>Follows everything but port 0 (the engine's junk filter is tested on its own).</summary>
    public bool ShouldFollow(NodeId id, IPEndPoint endPoint, IPEndPoint namedBy) => endPoint.Port != 0;

    public NodeId LocalId { get; } = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    public ReadOnlyMemory<byte> Version => "SN01"u8.ToArray();

    public bool ReadOnly => true;

    public TimeSpan SlowAfter => TimeSpan.FromSeconds(1);

    /// <summary>Adds <paramref name="count"/> nodes at 127.9.x.y; the first <paramref name="starting"/> are where a crawl starts.</summary>
    public SampleNetwork AddNodes(int count, int starting = 3)
    {
        for (int i = 0; i < count; i++)
        {
            int index = Nodes.Count;
            var node = new Node(NodeId.CreateRandom(_random), new IPEndPoint(new IPAddress([127, 9, (byte)(index >> 8), (byte)(index & 0xff)]), 6881));
            Nodes.Add(node);
            ByEndPoint[node.EndPoint] = node;
        }

        foreach (Node node in Nodes.Take(starting))
        {
            _starting.Add((node.Id, node.EndPoint));
        }

        return this;
    }

    /// <summary>Gives each of <paramref name="count"/> new infohashes to <paramref name="copies"/> random nodes; returns them.</summary>
    public HashSet<NodeId> Store(int count, int copies)
    {
        var all = new HashSet<NodeId>();
        for (int i = 0; i < count; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(_random);
            all.Add(infoHash);
            foreach (Node node in Nodes.OrderBy(_ => _random.Next()).Take(copies))
            {
                node.InfoHashes.Add(infoHash);
            }
        }

        return all;
    }

    public IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)> StartingCandidates(NodeId target) => _starting;

    public Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken)
    {
        Sent.Add((_clock.Elapsed, endPoint, query));
        if (!ByEndPoint.TryGetValue(endPoint, out Node? node) || node.Dead)
        {
            return After(TimeSpan.FromSeconds(4), new RpcResult(RpcStatus.Timeout, endPoint, null, null, TimeSpan.Zero), cancellationToken);
        }

        if (node.Bep51Missing == "error")
        {
            return After(Delay, new RpcResult(RpcStatus.Error, endPoint, null, new KrpcError { Code = 204, Message = "Method Unknown"u8.ToArray() }, Delay), cancellationToken);
        }

        NodeInfo[] others = [.. Enumerable.Range(0, 8).Select(_ => Nodes[_random.Next(Nodes.Count)]).Where(n => n != node).Select(n => new NodeInfo(n.Id, n.EndPoint))];
        byte[] samples = [.. node.InfoHashes.OrderBy(_ => _random.Next()).Take(SampleSize).SelectMany(h => h.ToArray())];
        var response = new KrpcResponse
        {
            Id = node.Id,
            Nodes = CompactFormat.WriteNodes(others, AddressFamily.InterNetwork),
            Samples = node.Bep51Missing is null ? samples : default(ReadOnlyMemory<byte>),
            Num = node.Bep51Missing is null ? node.InfoHashes.Count : null,
            Interval = node.Bep51Missing is null ? node.Interval : null,
            IncludedKeys = node.Bep51Missing is null ? KrpcResponseKeys.Samples : KrpcResponseKeys.None,
        };
        return After(Delay, new RpcResult(RpcStatus.Response, endPoint, response, null, Delay), cancellationToken);
    }

    private Task<RpcResult> After(TimeSpan delay, RpcResult result, CancellationToken cancellationToken)
    {
        InFlight++;
        var done = new TaskCompletionSource<RpcResult>();
        ITimer? timer = null;
        CancellationTokenRegistration registration = default;
        void Finish(RpcResult outcome)
        {
            if (done.TrySetResult(outcome))
            {
                InFlight--;
                timer!.Dispose();
                registration.Dispose();
            }
        }

        timer = _clock.CreateTimer(_ => Finish(result), null, delay, Timeout.InfiniteTimeSpan);
        registration = cancellationToken.Register(() => Finish(result with { Status = RpcStatus.Cancelled, Response = null, Error = null }));
        return done.Task;
    }
}
