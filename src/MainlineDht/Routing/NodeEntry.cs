using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// A live node of the routing table: one that has answered at least one of our queries. The table
/// owns it and changes it in place; the node's event loop may read it and hand it to encoders.
/// </summary>
internal sealed class NodeEntry
{
    internal NodeEntry(NodeId id, IPEndPoint endPoint, DateTimeOffset added, DateTimeOffset lastReply, TimeSpan roundTripTime)
    {
        Id = id;
        EndPoint = endPoint;
        Added = added;
        LastReply = lastReply;
        RoundTripTime = roundTripTime < TimeSpan.Zero ? TimeSpan.Zero : roundTripTime;
        IdVerified = SecureNodeId.IsValid(id, endPoint.Address);
    }

    /// <summary>BEP 42: whether the id is one the node's address allows (always true for loopback, private and link-local addresses).</summary>
    public bool IdVerified { get; }

    public NodeId Id { get; }

    public IPEndPoint EndPoint { get; }

    public DateTimeOffset Added { get; }

    /// <summary>When the node last answered one of our queries (every live node has answered once).</summary>
    public DateTimeOffset LastReply { get; private set; }

    /// <summary>When the node last queried us; null if it never did.</summary>
    public DateTimeOffset? LastQuery { get; private set; }

    /// <summary>Failures in a row; an answer resets it.</summary>
    public int FailureCount { get; private set; }

    /// <summary>Smoothed like TCP's SRTT: each new sample moves it an eighth of the way.</summary>
    public TimeSpan RoundTripTime { get; private set; }

    /// <summary>When we asked the caller to ping this node to decide whether to evict it; null if no ping is pending.</summary>
    public DateTimeOffset? EvictionPingRequested { get; internal set; }

    /// <summary>The last time the node showed it was alive, by answering or by querying.</summary>
    public DateTimeOffset LastSeen => LastQuery is { } q && q > LastReply ? q : LastReply;

    public NodeState GetState(DateTimeOffset now, RoutingTableOptions options)
    {
        if (FailureCount >= options.MaxFailures)
        {
            return NodeState.Bad;
        }

        // "Within 15 minutes": at exactly 15 minutes of silence the node is questionable.
        if (now - LastReply < options.GoodFor || (LastQuery is { } q && now - q < options.GoodFor))
        {
            return NodeState.Good;
        }

        return NodeState.Questionable;
    }

    /// <summary>The same as <see cref="GetState(DateTimeOffset, RoutingTableOptions)"/> with <c>now - GoodFor</c> computed once.</summary>
    public NodeState GetState(DateTimeOffset goodAfter, int maxFailures) =>
        FailureCount >= maxFailures ? NodeState.Bad
        : LastReply > goodAfter || (LastQuery is { } q && q > goodAfter) ? NodeState.Good
        : NodeState.Questionable;

    public bool IsBad(RoutingTableOptions options) => FailureCount >= options.MaxFailures;

    internal void RecordReply(TimeSpan roundTripTime, DateTimeOffset now)
    {
        if (roundTripTime < TimeSpan.Zero)
        {
            roundTripTime = TimeSpan.Zero;
        }

        RoundTripTime += (roundTripTime - RoundTripTime) / 8;
        if (now > LastReply)
        {
            LastReply = now;
        }

        FailureCount = 0;
        EvictionPingRequested = null;
    }

    internal void RecordQuery(DateTimeOffset now)
    {
        if (LastQuery is not { } q || now > q)
        {
            LastQuery = now;
        }
    }

    internal void RecordFailure()
    {
        if (FailureCount < int.MaxValue)
        {
            FailureCount++;
        }

        EvictionPingRequested = null;
    }

    public RoutingTableEntry ToSnapshot(DateTimeOffset now, RoutingTableOptions options) =>
        new(Id, EndPoint, Added, LastReply, LastQuery, FailureCount, RoundTripTime, GetState(now, options));

    public override string ToString() => $"{Id} {EndPoint}";
}
