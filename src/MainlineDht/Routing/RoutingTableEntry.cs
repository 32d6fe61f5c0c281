using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>A snapshot of one node in the routing table, taken at one moment.</summary>
/// <param name="Id">The node's id.</param>
/// <param name="EndPoint">The address and UDP port the node answered from.</param>
/// <param name="Added">When the node entered the routing table.</param>
/// <param name="LastReply">When the node last answered one of our queries.</param>
/// <param name="LastQuery">When the node last queried us, or <see langword="null"/> if it never did.</param>
/// <param name="FailureCount">How many of our queries in a row the node failed to answer.</param>
/// <param name="RoundTripTime">The smoothed round-trip time of the node's answers.</param>
/// <param name="State">The node's state at the moment of the snapshot.</param>
public readonly record struct RoutingTableEntry(
    NodeId Id,
    IPEndPoint EndPoint,
    DateTimeOffset Added,
    DateTimeOffset LastReply,
    DateTimeOffset? LastQuery,
    int FailureCount,
    TimeSpan RoundTripTime,
    NodeState State);
