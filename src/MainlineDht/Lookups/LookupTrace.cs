using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>One query of a traced lookup (<see cref="LookupOptions.Trace"/>): the node asked and what came of it.</summary>
public sealed record LookupTraceEntry
{
    /// <summary>
    /// The round the node was asked in: 1 for the nodes the lookup started from, n + 1 for a node
    /// learned from a reply in round n (the report's <see cref="LookupReport.RoundTrips"/> is the deepest round that answered).
    /// </summary>
    public int Round { get; init; }

    /// <summary>The node's id: the one it answered with, else the one it was known by; null for a node asked by address alone (a bootstrap node) that did not answer.</summary>
    public NodeId? Id { get; init; }

    /// <summary>Where the query went (its address family is the traversal's).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The distance to the target as the number of leading bits <see cref="Id"/> shares with it (more is closer; 160 is the target itself); null when the id is unknown.</summary>
    public int? SharedPrefixBits { get; init; }

    /// <summary>When the query was sent, from the start of the lookup (on the node's clock).</summary>
    public TimeSpan SentAfter { get; init; }

    /// <summary>How the query ended; null when the lookup ended first (a slow node it stopped waiting for).</summary>
    public RpcStatus? Status { get; init; }

    /// <summary>Time from the query to its answer (a response or an error); null without an answer.</summary>
    public TimeSpan? RoundTripTime { get; init; }

    /// <summary>Nodes the response returned in the traversal's family (<c>nodes</c> on IPv4, <c>nodes6</c> on IPv6).</summary>
    public int NodesReturned { get; init; }

    /// <summary>Peers the response returned in <c>values</c> (<c>get_peers</c>).</summary>
    public int ValuesReturned { get; init; }

    /// <summary>The KRPC error code, when the node answered with an error.</summary>
    public int? ErrorCode { get; init; }

    /// <summary>The KRPC error message, when the node answered with an error.</summary>
    public string? ErrorMessage { get; init; }
}
