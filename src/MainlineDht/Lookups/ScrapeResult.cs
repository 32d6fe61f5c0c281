using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Lookups;

/// <summary>
/// The result of a BEP 33 scrape (<see cref="DhtNode.ScrapeAsync"/>): how many seeds and downloaders
/// the nodes closest to an infohash hold, estimated from their merged bloom filters.
/// </summary>
/// <remarks>
/// The estimate is the BEP's: <c>log(c / m) / (k · log(1 − 1/m))</c> over the zero bits c of a
/// 2048-bit filter with k = 2. It counts distinct IP addresses, so peers behind one address count
/// once; it is within a few percent up to a few hundred and degrades towards the ~7,800 a full filter
/// can tell (a saturated filter reports that maximum).
/// </remarks>
public sealed record ScrapeResult
{
    /// <summary>The infohash scraped.</summary>
    public NodeId InfoHash { get; init; }

    /// <summary>Estimated seeds (BEP 33 <c>BFsd</c>), rounded; 0 when no node reported any.</summary>
    public int Seeds { get; init; }

    /// <summary>Estimated downloaders, peers that are not seeds (BEP 33 <c>BFpe</c>), rounded; 0 when no node reported any.</summary>
    public int Peers { get; init; }

    /// <summary>The seeds' estimate before rounding.</summary>
    public double SeedsEstimate { get; init; }

    /// <summary>The downloaders' estimate before rounding.</summary>
    public double PeersEstimate { get; init; }

    /// <summary>How many nodes answered with filters (a node holding no peer for the infohash sends none).</summary>
    public int NodesWithFilters { get; init; }

    /// <summary>What the <c>get_peers</c> traversals did.</summary>
    public LookupReport Report { get; init; } = new();

    /// <summary>The estimate of a filter: 0 when empty, the most a filter can tell when saturated.</summary>
    internal static double Estimate(ScrapeBloomFilter filter)
    {
        if (filter.IsEmpty)
        {
            return 0;
        }

        double estimate = filter.EstimateCount();
        return double.IsPositiveInfinity(estimate) ? ScrapeBloomFilter.MaxEstimate : estimate;
    }

    /// <summary>The estimate of a filter, rounded.</summary>
    internal static int Count(ScrapeBloomFilter filter) => (int)Math.Round(Estimate(filter));
}
