using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>What a lookup did: who was asked, who answered, how long it took.</summary>
public sealed record LookupReport
{
    /// <summary>The id or infohash looked up.</summary>
    public NodeId Target { get; init; }

    /// <summary>Queries sent (one per node asked).</summary>
    public int NodesQueried { get; init; }

    /// <summary>Queries answered with a response.</summary>
    public int Replies { get; init; }

    /// <summary>Queries answered with a KRPC error.</summary>
    public int Errors { get; init; }

    /// <summary>Queries that timed out (or could not be sent).</summary>
    public int Timeouts { get; init; }

    /// <summary>The longest chain of replies, each node learned from the previous one's answer.</summary>
    public int RoundTrips { get; init; }

    /// <summary>Time from start to end on the node's <see cref="DhtNodeOptions.TimeProvider"/> (virtual time in a simulation).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>
    /// Time from start until the closest nodes the lookup ended with (<see cref="ClosestNodes"/>) had
    /// all answered; the rest of <see cref="Elapsed"/> went on making sure nothing closer was left.
    /// Null when no node answered.
    /// </summary>
    public TimeSpan? ClosestAnsweredAfter { get; init; }

    /// <summary>
    /// Time from start to the first peer found (<c>get_peers</c> lookups and announces): what a
    /// torrent client waits before it can connect to someone. Null when no peer was found.
    /// </summary>
    public TimeSpan? FirstPeerAfter { get; init; }

    /// <summary>The closest nodes that answered, nearest first: at most K of each address family the lookup ran on (a node's endpoint says its family).</summary>
    public IReadOnlyList<NodeInfo> ClosestNodes { get; init; } = [];

    /// <summary>Distinct peers found (get_peers lookups).</summary>
    public int PeersFound { get; init; }

    /// <summary>For an announce: the nodes that accepted our <c>announce_peer</c>.</summary>
    public IReadOnlyList<NodeInfo> AnnouncedTo { get; init; } = [];

    /// <summary>True when the lookup was cancelled before it ended.</summary>
    public bool Cancelled { get; init; }

    /// <summary>
    /// Every query the lookup sent, in the order sent (both address families merged), when it ran with
    /// <see cref="LookupOptions.Trace"/>; empty otherwise. One entry per query counted in
    /// <see cref="NodesQueried"/> (up to <see cref="LookupOptions.MaxTraceEntries"/> per family).
    /// </summary>
    public IReadOnlyList<LookupTraceEntry> Trace { get; init; } = [];
}

/// <summary>The result of a <c>get_peers</c> lookup: the peers and the report.</summary>
/// <param name="Peers">Distinct peers, in the order they arrived.</param>
/// <param name="Report">What the lookup did.</param>
public sealed record PeerLookupResult(IReadOnlyList<IPEndPoint> Peers, LookupReport Report);
