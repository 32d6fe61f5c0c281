using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// A view of a live node of the routing table, for tests and diagnostics: the table stores its nodes
/// as <see cref="RoutingNode"/> values and hands out one view per live id on request
/// (<see cref="RoutingTable.TryGet"/>, <see cref="RoutingBucket.Nodes"/>). While the node is live the
/// view reads the table; once it leaves, the view keeps what the table last knew.
/// </summary>
internal sealed class NodeEntry
{
    private RoutingTable? _table;
    private RoutingNode _detached;

    /// <summary>A node not in any table (what a test's fake host hands out).</summary>
    internal NodeEntry(NodeId id, IPEndPoint endPoint, DateTimeOffset added, DateTimeOffset lastReply, TimeSpan roundTripTime)
    {
        _detached = new RoutingNode(
            id, NodeAddress.From(endPoint), SecureNodeId.IsValid(id, endPoint.Address), restricted: false, added.UtcTicks, lastReply.UtcTicks, roundTripTime);
    }

    internal NodeEntry(RoutingTable table, in RoutingNode node)
    {
        _table = table;
        _detached = node;
    }

    private ref readonly RoutingNode Data => ref _table is { } table ? ref table.LiveRef(_detached.Id) : ref _detached;

    /// <summary>BEP 42: whether the id is one the node's address allows (always true for loopback, private and link-local addresses).</summary>
    public bool IdVerified => Data.IdVerified;

    public NodeId Id => _detached.Id;

    public IPEndPoint EndPoint => Data.EndPoint;

    public DateTimeOffset Added => RoutingNode.Time(Data.AddedOrHeard);

    /// <summary>When the node last answered one of our queries (every live node has answered once).</summary>
    public DateTimeOffset LastReply => RoutingNode.Time(Data.LastReply);

    /// <summary>When the node last queried us; null if it never did.</summary>
    public DateTimeOffset? LastQuery => RoutingNode.OptionalTime(Data.LastQuery);

    /// <summary>Failures in a row; an answer resets it.</summary>
    public int FailureCount => Data.FailureCount;

    /// <summary>Smoothed like TCP's SRTT: each new sample moves it an eighth of the way.</summary>
    public TimeSpan RoundTripTime => Data.RoundTripTime;

    /// <summary>When we asked the caller to ping this node to decide whether to evict it; null if no ping is pending.</summary>
    public DateTimeOffset? EvictionPingRequested => RoutingNode.OptionalTime(Data.Pending);

    /// <summary>The last time the node showed it was alive, by answering or by querying.</summary>
    public DateTimeOffset LastSeen => RoutingNode.Time(Data.LastSeen);

    public static implicit operator RoutingNode(NodeEntry entry) => entry.Data;

    public NodeState GetState(DateTimeOffset now, RoutingTableOptions options) =>
        Data.GetState(RoutingTable.GoodAfterTicks(now, options), options.MaxFailures);

    public bool IsBad(RoutingTableOptions options) => Data.IsBad(options.MaxFailures);

    public RoutingTableEntry ToSnapshot(DateTimeOffset now, RoutingTableOptions options) =>
        Data.ToSnapshot(RoutingTable.GoodAfterTicks(now, options), options.MaxFailures);

    /// <summary>The node left the table: the view keeps its last state.</summary>
    internal void Detach(in RoutingNode last)
    {
        _detached = last;
        _table = null;
    }

    public override string ToString() => Data.ToString();
}
