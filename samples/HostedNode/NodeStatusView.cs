using MainlineDht;
using MainlineDht.Routing;

namespace HostedNode;

/// <summary>One bucket depth of the routing table: nodes whose id shares <see cref="Depth"/> leading bits with ours.</summary>
internal sealed record BucketView(int Depth, int Good, int Questionable, int Bad)
{
    public int Nodes => Good + Questionable + Bad;
}

/// <summary>What the status page shows, read from the node at one moment.</summary>
internal sealed record NodeStatusView
{
    /// <summary>Null while the host has not started the node (or after it stopped it).</summary>
    public DhtNode? Node { get; init; }

    /// <summary>Whether the routing table has a live node (one not marked bad): the node is part of the DHT.</summary>
    public bool Joined { get; init; }

    public int LiveNodes { get; init; }

    public IReadOnlyList<BucketView> Buckets { get; init; } = [];

    public DhtNodeStatistics? Statistics { get; init; }

    public IReadOnlyList<RecentLookup> Lookups { get; init; } = [];

    public static NodeStatusView Of(DhtNode? node, RecentLookups lookups)
    {
        if (node is null)
        {
            return new NodeStatusView { Lookups = lookups.ToList() };
        }

        IReadOnlyList<RoutingTableEntry> table = node.GetRoutingTable();
        var buckets = table
            .GroupBy(e => node.Id.CommonPrefixLength(e.Id))
            .OrderBy(g => g.Key)
            .Select(g => new BucketView(g.Key, g.Count(e => e.State == NodeState.Good), g.Count(e => e.State == NodeState.Questionable), g.Count(e => e.State == NodeState.Bad)))
            .ToList();
        int live = table.Count(e => e.State != NodeState.Bad);
        return new NodeStatusView
        {
            Node = node,
            Joined = live > 0,
            LiveNodes = live,
            Buckets = buckets,
            Statistics = node.GetStatistics(),
            Lookups = lookups.ToList(),
        };
    }

    /// <summary>The figures as JSON-ready values (for <c>/status.json</c>).</summary>
    public object ToJson() => new
    {
        running = Node is not null,
        id = Node?.Id.ToString(),
        address = Node?.LocalEndPoint.ToString(),
        address_v6 = Node?.LocalEndPointV6?.ToString(),
        joined = Joined,
        live_nodes = LiveNodes,
        routing_table = Buckets.Select(b => new { depth = b.Depth, nodes = b.Nodes, good = b.Good, questionable = b.Questionable, bad = b.Bad }),
        counters = Statistics is not DhtNodeStatistics s ? null : new
        {
            datagrams_received = s.DatagramsReceived,
            queries_received = s.QueriesReceived,
            queries_answered = s.QueriesAnswered,
            queries_sent = s.QueriesSent,
            responses_received = s.ResponsesReceived,
            timeouts = s.Timeouts,
            stored_infohashes = s.StoredInfoHashes,
            stored_peers = s.StoredPeers,
            announces_accepted = s.AnnouncesAccepted,
        },
        recent_lookups = Lookups.Select(l => new
        {
            started = l.Started,
            infohash = l.InfoHash.ToString(),
            peers = l.Peers,
            nodes_queried = l.Report.NodesQueried,
            replies = l.Report.Replies,
            round_trips = l.Report.RoundTrips,
            elapsed_ms = Math.Round(l.Report.Elapsed.TotalMilliseconds, 1),
        }),
    };
}
