namespace MainlineDht.Lookups;

/// <summary>
/// How a BEP 51 crawl (<see cref="DhtNode.CrawlAsync"/>) walks the DHT. Every property has a
/// documented default; the defaults are polite to the network and keep memory flat (about 3.6 MB
/// for the de-duplication filters and at most ~20 MB for the per-node table, however long the crawl).
/// </summary>
public sealed record CrawlOptions
{
    /// <summary>
    /// The most <c>sample_infohashes</c> queries sent per second, over the whole crawl; default 20
    /// (a token bucket on the node's <see cref="DhtNodeOptions.TimeProvider"/>, with a burst of a
    /// tenth of a second's worth).
    /// </summary>
    public double QueriesPerSecond { get; init; } = 20;

    /// <summary>The most queries in flight at once; default 64.</summary>
    public int MaxQueriesInFlight { get; init; } = 64;

    /// <summary>
    /// The shortest wait before a node is asked again, whatever <c>interval</c> it gave (some give 0);
    /// default 1 minute. A node is never asked again before its own <c>interval</c> either (BEP 51
    /// caps it at 6 hours).
    /// </summary>
    public TimeSpan MinimumInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The most nodes whose next allowed time the crawl remembers; default 100,000. When the table
    /// is full, the node whose wait ends soonest is forgotten (most often one whose wait is over).
    /// </summary>
    public int MaxKnownNodes { get; init; } = 100_000;

    /// <summary>The most nodes learned from replies that wait to be asked; default 10,000 (more are not queued).</summary>
    public int MaxQueuedNodes { get; init; } = 10_000;

    /// <summary>
    /// How many infohashes each of the two de-duplication Bloom filters is sized for; default
    /// 1,000,000. The last this many are always remembered (never more than twice this many), so
    /// an infohash met again within that window is reported once.
    /// </summary>
    public long DeduplicationCapacity { get; init; } = 1_000_000;

    /// <summary>The false-positive rate each filter is sized for (a new infohash taken for a known one); default 0.001.</summary>
    public double DeduplicationFalsePositiveRate { get; init; } = 0.001;

    /// <summary>Checks every value; the exception names the property.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        if (!(QueriesPerSecond > 0) || double.IsInfinity(QueriesPerSecond))
        {
            throw new ArgumentException("QueriesPerSecond must be a positive number.", nameof(QueriesPerSecond));
        }

        if (MaxQueriesInFlight is < 1 or > 4096)
        {
            throw new ArgumentException("MaxQueriesInFlight must be from 1 to 4096.", nameof(MaxQueriesInFlight));
        }

        if (MinimumInterval < TimeSpan.Zero)
        {
            throw new ArgumentException("MinimumInterval must not be negative.", nameof(MinimumInterval));
        }

        if (MaxKnownNodes is < 1 or > 10_000_000)
        {
            throw new ArgumentException("MaxKnownNodes must be from 1 to 10,000,000.", nameof(MaxKnownNodes));
        }

        if (MaxQueuedNodes is < 1 or > 1_000_000)
        {
            throw new ArgumentException("MaxQueuedNodes must be from 1 to 1,000,000.", nameof(MaxQueuedNodes));
        }

        if (DeduplicationCapacity is < 1 or > 1_000_000_000)
        {
            throw new ArgumentException("DeduplicationCapacity must be from 1 to 1,000,000,000.", nameof(DeduplicationCapacity));
        }

        if (!(DeduplicationFalsePositiveRate is > 0 and <= 0.5))
        {
            throw new ArgumentException("DeduplicationFalsePositiveRate must be above 0 and at most 0.5.", nameof(DeduplicationFalsePositiveRate));
        }
    }
}
