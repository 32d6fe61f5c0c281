using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Lookups;

/// <summary>
/// A BEP 33 scrape on one address family: an iterative <c>get_peers</c> with <c>scrape</c> = 1, whose
/// responders' <c>BFsd</c> (seeds) and <c>BFpe</c> (downloaders) bloom filters are merged by OR.
/// </summary>
/// <remarks>
/// Every responder's filters are merged, not only those of the K closest at the end: the nodes that
/// store an infohash's peers are the ones announcers found closest, and a node that joined near the
/// infohash since (closer, but storing nothing) must not push one of them out. A filter is an OR of
/// address bits, so the same peer held by several nodes counts once.
/// </remarks>
internal sealed class ScrapeOperation(ILookupNetwork network, NodeId infoHash) : TraversalOperation(network, infoHash)
{
    private GetPeersQuery? _query;

    /// <summary>The seeds' filters merged.</summary>
    public ScrapeBloomFilter Seeds { get; } = new();

    /// <summary>The downloaders' (non-seeds') filters merged.</summary>
    public ScrapeBloomFilter Downloaders { get; } = new();

    /// <summary>How many responders sent a pair of filters.</summary>
    public int NodesWithFilters { get; private set; }

    /// <summary>The same query for every candidate (the node picks each transaction id): built once.</summary>
    public override KrpcQuery CreateQuery(Traversal.Candidate candidate) =>
        _query ??= new GetPeersQuery { Id = Network.LocalId, InfoHash = Target, Want = Want, Scrape = true, ReadOnly = Network.ReadOnly, Version = Network.Version, Padding = KrpcQuery.LargeReplyPadding };

    /// <summary>Merges the responder's filters, when it sent both at their size (256 bytes); anything else is ignored.</summary>
    public override void OnResponse(Traversal.Candidate responder, KrpcResponse response)
    {
        if (ScrapeBloomFilter.TryRead(response.SeedsFilter.Span, out ScrapeBloomFilter? seeds)
            && ScrapeBloomFilter.TryRead(response.PeersFilter.Span, out ScrapeBloomFilter? downloaders))
        {
            Seeds.UnionWith(seeds);
            Downloaders.UnionWith(downloaders);
            NodesWithFilters++;
        }
    }
}
