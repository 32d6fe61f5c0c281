using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht.Node;

/// <summary>What answering a query needs from the engine that received it (under the gate).</summary>
internal interface IQueryHost
{
    /// <summary>
    /// The nodes of <paramref name="family"/> a reply hands out, closest to <paramref name="target"/>
    /// first (from that family's routing table, whichever family the query came over; none when that
    /// family does not run).
    /// </summary>
    int FindClosestToShare(AddressFamily family, NodeId target, Span<RoutingNode> destination);

    /// <summary>
    /// Whether <paramref name="id"/> at <paramref name="source"/> has answered a query of ours: it is
    /// in the routing table (live or waiting verified), or <paramref name="source"/> answered one lately (<c>AnsweredSources</c>).
    /// </summary>
    bool IsVerified(NodeId id, IPEndPoint source);

    /// <summary>
    /// A reply to unverified <paramref name="source"/> was refused for the reply budget: ping it (at
    /// most once a minute, while queries in flight allow), so that a real node, which answers, is
    /// verified and answered when it asks again, and a spoofed source stays held to the budget.
    /// </summary>
    void OnRefusedOverBudget(NodeId id, IPEndPoint source);

    /// <summary><paramref name="id"/> queried us from <paramref name="source"/> (a full node: not read-only, not us); called after the reply.</summary>
    void OnQueried(NodeId id, IPEndPoint source, DateTimeOffset now);
}
