using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht;

/// <summary>
/// A <c>get_peers</c> or an accepted <c>announce_peer</c> another node sent us
/// (<see cref="DhtNode.WatchQueriesAsync"/>): what a passive indexer learns from the traffic a node
/// answers anyway.
/// </summary>
/// <param name="Method"><see cref="KrpcMethod.GetPeers"/> or <see cref="KrpcMethod.AnnouncePeer"/>.</param>
/// <param name="InfoHash">The infohash asked for or announced.</param>
/// <param name="Source">The UDP endpoint the query came from.</param>
/// <param name="QuerierId">The node id the querier gave.</param>
/// <param name="Port">For an announce, the port stored for the peer (the source port with <c>implied_port</c>); null for <c>get_peers</c>.</param>
/// <param name="ImpliedPort">For an announce, whether it said <c>implied_port</c>.</param>
/// <param name="Seed">For an announce, BEP 33 <c>seed</c>; for <c>get_peers</c>, false.</param>
/// <param name="ReceivedAt">When the query was answered, on the node's <see cref="DhtNodeOptions.TimeProvider"/>.</param>
public sealed record HeardQuery(KrpcMethod Method, NodeId InfoHash, IPEndPoint Source, NodeId QuerierId, int? Port, bool ImpliedPort, bool Seed, DateTimeOffset ReceivedAt)
{
    /// <summary>For an announce, the peer it stored: the source address with <see cref="Port"/>; null for <c>get_peers</c>.</summary>
    public IPEndPoint? Peer => Port is int port ? new IPEndPoint(Source.Address, port) : null;
}
