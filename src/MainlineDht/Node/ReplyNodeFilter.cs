using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node;

/// <summary>Why a node a reply named was not followed (the statistics count each).</summary>
internal enum IgnoredNodeReason
{
    /// <summary>Port 0: nothing listens there.</summary>
    PortZero,

    /// <summary>0.0.0.0/8 or <c>::</c>.</summary>
    Unspecified,

    /// <summary>255.255.255.255.</summary>
    Broadcast,

    /// <summary>224.0.0.0/4 or ff00::/8.</summary>
    Multicast,

    /// <summary>240.0.0.0/4, ::/96: addresses not in use.</summary>
    Reserved,

    /// <summary>Our own node id (real clients list the querier among the nodes they return).</summary>
    OwnId,

    /// <summary>Our own endpoint (bound, or the external address the BEP 42 vote gave us), under another id.</summary>
    OwnEndPoint,

    /// <summary>A loopback address, and we are not on loopback: it would be some other machine's own.</summary>
    Loopback,

    /// <summary>A private or link-local address, and we are not on such a network.</summary>
    Private,

    /// <summary>An id BEP 42 does not allow for its address, with <see cref="DhtNodeOptions.EnforceNodeIds"/> on.</summary>
    UnverifiedId,
}

/// <summary>
/// Decides whether a node a reply named (<c>nodes</c>/<c>nodes6</c>) is worth a query. Junk is not:
/// port 0, unspecified, broadcast, multicast and reserved addresses, our own id or endpoint. Loopback
/// and private addresses are followed only when we are on such a network ourselves: bound to one,
/// told by the BEP 42 vote that our address is one, or given them by a node that itself is at one (a
/// node of a local swarm that answered us). Pure: the engine counts what it refuses.
/// </summary>
internal static class ReplyNodeFilter
{
    /// <summary>The statistics' names of the reasons, indexed by <see cref="IgnoredNodeReason"/>.</summary>
    public static readonly string[] Names =
        ["port_0", "unspecified", "broadcast", "multicast", "reserved", "own_id", "own_endpoint", "loopback", "private", "unverified_id"];

    /// <summary>How many reasons there are (the length of <see cref="PerReasonCounts"/> and of <see cref="Names"/>; a test checks both).</summary>
    public const int Count = 10;

    /// <summary>Why <paramref name="id"/> at <paramref name="endPoint"/>, named by the node at <paramref name="namedBy"/>, is not to be followed; null when it is.</summary>
    /// <param name="id">The id named.</param>
    /// <param name="endPoint">The endpoint named.</param>
    /// <param name="namedBy">The endpoint of the node whose reply named it.</param>
    /// <param name="self">Our node id.</param>
    /// <param name="local">The endpoint our socket is bound to.</param>
    /// <param name="external">Our external address as the BEP 42 vote has it; null before any vote.</param>
    /// <param name="enforceNodeIds">Whether ids BEP 42 does not allow for their address are refused.</param>
    public static IgnoredNodeReason? Judge(NodeId id, IPEndPoint endPoint, IPEndPoint namedBy, NodeId self, IPEndPoint local, IPAddress? external, bool enforceNodeIds)
    {
        if (id == self)
        {
            return IgnoredNodeReason.OwnId;
        }

        if (endPoint.Port == 0)
        {
            return IgnoredNodeReason.PortZero;
        }

        IPAddress address = endPoint.Address;
        AddressKind kind = IpRanges.Classify(address);
        switch (kind)
        {
            case AddressKind.Unspecified:
                return IgnoredNodeReason.Unspecified;
            case AddressKind.Broadcast:
                return IgnoredNodeReason.Broadcast;
            case AddressKind.Multicast:
                return IgnoredNodeReason.Multicast;
            case AddressKind.Reserved:
                return IgnoredNodeReason.Reserved;
        }

        if (endPoint.Port == local.Port && (address.Equals(local.Address) || address.Equals(external)))
        {
            return IgnoredNodeReason.OwnEndPoint;
        }

        if (kind is AddressKind.Loopback or AddressKind.Private
            && IpRanges.Classify(local.Address) != kind
            && (external is null || IpRanges.Classify(external) != kind)
            && IpRanges.Classify(namedBy.Address) != kind)
        {
            return kind == AddressKind.Loopback ? IgnoredNodeReason.Loopback : IgnoredNodeReason.Private;
        }

        if (enforceNodeIds && !SecureNodeId.IsValid(id, address))
        {
            return IgnoredNodeReason.UnverifiedId;
        }

        return null;
    }
}

/// <summary>One counter per <see cref="IgnoredNodeReason"/>, inline in the node's counters.</summary>
[System.Runtime.CompilerServices.InlineArray(ReplyNodeFilter.Count)]
internal struct PerReasonCounts
{
    private long _element;
}
