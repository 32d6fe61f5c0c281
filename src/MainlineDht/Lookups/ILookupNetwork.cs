using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// One address family's view for lookups (implemented by the node's engine of that family): what a
/// traversal needs to start, to build its queries and to send them. Lookups know this, not the node.
/// </summary>
internal interface ILookupNetwork
{
    /// <summary><see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    AddressFamily Family { get; }

    /// <summary>Our node id: sent in every query, and never a candidate of a traversal.</summary>
    NodeId LocalId { get; }

    /// <summary>The client version sent in queries (<c>v</c>); empty for none.</summary>
    ReadOnlyMemory<byte> Version { get; }

    /// <summary>BEP 43: queries carry <c>ro</c>.</summary>
    bool ReadOnly { get; }

    /// <summary>
    /// Which addresses the lookup's diversity rule applies to: a traversal queries at most one node
    /// per /24 (IPv4) or /64 (IPv6) among the nodes replies name (its starting nodes aside).
    /// </summary>
    IpDiversity IpDiversity { get; }

    /// <summary>
    /// Whether a node a reply named is worth a query: false for junk (port 0, unspecified, broadcast,
    /// multicast or reserved addresses, our own id or endpoint, loopback or private addresses of a
    /// network we are not on), which the network counts. May be called from any thread.
    /// </summary>
    /// <param name="id">The id named.</param>
    /// <param name="endPoint">The endpoint named.</param>
    /// <param name="namedBy">The endpoint of the node whose reply named it.</param>
    bool ShouldFollow(NodeId id, IPEndPoint endPoint, IPEndPoint namedBy);

    /// <summary>From the round-trip estimate: after this long without an answer a node frees its lookup slot.</summary>
    TimeSpan SlowAfter { get; }

    /// <summary>
    /// Where a traversal toward <paramref name="target"/> starts: the routing table's closest, then
    /// (when the table is short of K) saved nodes and bootstrap endpoints of this family, in the
    /// order the bootstrap rules say.
    /// </summary>
    IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)> StartingCandidates(NodeId target);

    /// <summary>
    /// The round trip our routing table measured for <paramref name="id"/>, if it holds that node and
    /// measured one; null otherwise (and by default).
    /// </summary>
    TimeSpan? MeasuredRoundTrip(NodeId id) => null;

    /// <summary>
    /// Sends one query and completes with its outcome; never throws for network conditions. A reply
    /// from <paramref name="endPoint"/> completes it; <paramref name="expectedId"/>, when known, is the
    /// id the routing table holds for that endpoint.
    /// </summary>
    Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken);
}
