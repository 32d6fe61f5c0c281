using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>An infohash a crawl met for the first time, and the node whose <c>samples</c> held it.</summary>
/// <param name="InfoHash">The infohash.</param>
/// <param name="Node">The node that sampled it (its id as it answered, and its endpoint).</param>
public readonly record struct CrawledInfoHash(NodeId InfoHash, NodeInfo Node);

/// <summary>A crawl's running figures: a snapshot (<see cref="DhtCrawl.Statistics"/>).</summary>
public sealed record CrawlStatistics
{
    /// <summary><c>sample_infohashes</c> queries sent.</summary>
    public long QueriesSent { get; init; }

    /// <summary>Nodes asked for the first time (a node asked again after its <c>interval</c> is not counted again).</summary>
    public long NodesQueried { get; init; }

    /// <summary>Queries answered with a response.</summary>
    public long Replies { get; init; }

    /// <summary>Nodes that answered their first query with <c>samples</c> (BEP 51 support).</summary>
    public long NodesWithSamples { get; init; }

    /// <summary>Infohashes received in <c>samples</c>, repeats included.</summary>
    public long Samples { get; init; }

    /// <summary>Infohashes reported: met for the first time.</summary>
    public long NewInfoHashes { get; init; }

    /// <summary>Queries answered with a KRPC error (a node without BEP 51 may answer 204).</summary>
    public long Errors { get; init; }

    /// <summary>Queries that timed out or could not be sent.</summary>
    public long Timeouts { get; init; }

    /// <summary>Nodes whose next allowed time is remembered now (bounded by <see cref="CrawlOptions.MaxKnownNodes"/>).</summary>
    public int KnownNodes { get; init; }

    /// <summary>Nodes learned and waiting to be asked now (bounded by <see cref="CrawlOptions.MaxQueuedNodes"/>).</summary>
    public int QueuedNodes { get; init; }

    /// <summary>Bytes the de-duplication filters take: fixed when the crawl starts.</summary>
    public long DeduplicationBytes { get; init; }

    /// <summary>Time since the crawl started, on the node's <see cref="DhtNodeOptions.TimeProvider"/>.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Queries sent per second since the start.</summary>
    public double QueriesPerSecond => Elapsed > TimeSpan.Zero ? QueriesSent / Elapsed.TotalSeconds : 0;
}
