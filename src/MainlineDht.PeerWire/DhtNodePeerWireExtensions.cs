using MainlineDht.PeerWire.Metadata;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire;

/// <summary>The DHT and the peer wire together: from an infohash to the torrent's metadata.</summary>
public static class DhtNodePeerWireExtensions
{
    /// <summary>
    /// Finds peers for <paramref name="infoHash"/> with the node's <c>get_peers</c> lookup and asks
    /// them for the metadata as they arrive (<see cref="MetadataFetcher"/>); the lookup stops as soon
    /// as a peer's metadata is verified.
    /// </summary>
    public static Task<MetadataFetchResult> FetchMetadataAsync(this DhtNode node, NodeId infoHash, MetadataFetchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return MetadataFetcher.FetchMetadataAsync(infoHash, node.GetPeersAsync(infoHash, cancellationToken), options, cancellationToken);
    }
}
