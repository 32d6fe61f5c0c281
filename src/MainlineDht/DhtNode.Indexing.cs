using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MainlineDht.Lookups;
using MainlineDht.Node;
using MainlineDht.Protocol;

namespace MainlineDht;

// For crawlers and indexers: the BEP 51 crawl, the BEP 33 scrape, and what the node hears.
public sealed partial class DhtNode
{
    /// <summary>How many heard queries a watcher's buffer holds by default before the oldest give way.</summary>
    public const int DefaultWatchCapacity = 1024;

    /// <summary>
    /// A BEP 51 crawl: <c>sample_infohashes</c> to the nodes of the routing tables and then to the
    /// nodes their replies name, across the whole keyspace (random targets), never asking a node again
    /// before the <c>interval</c> it gave, at most <see cref="CrawlOptions.QueriesPerSecond"/>.
    /// Enumerate the result to run it: each infohash comes once, with the node that sampled it. The
    /// crawl ends when the enumeration stops, or quietly when <paramref name="cancellationToken"/> is
    /// cancelled or the node stops; <see cref="DhtCrawl.Statistics"/> has its figures.
    /// </summary>
    /// <param name="options">How to crawl; default <see cref="CrawlOptions"/>.</param>
    /// <param name="cancellationToken">Ends the crawl.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public DhtCrawl CrawlAsync(CrawlOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new CrawlOptions();
        options.Validate();
        Random random;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_context.Disposed, this);
            random = new Random(_random.Next()); // the crawl's own: it runs outside the gate
        }

        return new DhtCrawl(new Crawler(_engines, _time, options, random), cancellationToken, LifetimeToken, _context.Diagnostics);
    }

    /// <summary>
    /// A BEP 33 scrape of <paramref name="infoHash"/>: a <c>get_peers</c> lookup with <c>scrape</c> = 1,
    /// the <c>BFsd</c>/<c>BFpe</c> bloom filters of the nodes that answered merged, and the seeds and
    /// downloaders estimated from them (<see cref="ScrapeResult"/>), with the lookup's report.
    /// </summary>
    public Task<ScrapeResult> ScrapeAsync(NodeId infoHash, CancellationToken cancellationToken = default) =>
        _lookups.ScrapeAsync(infoHash, cancellationToken);

    /// <summary>
    /// <see cref="AnnounceAsync(NodeId, int, bool, CancellationToken)"/>, saying with
    /// <paramref name="seed"/> whether the peer is a seed (BEP 33 <c>seed</c>: scrapes count it in
    /// <c>BFsd</c> instead of <c>BFpe</c>).
    /// </summary>
    public async Task<LookupReport> AnnounceAsync(NodeId infoHash, int port, bool impliedPort, bool seed, CancellationToken cancellationToken = default)
    {
        CheckPeerPort(port, impliedPort);
        return await _lookups.AnnounceAsync(infoHash, port, impliedPort, network => ((DhtEngine)network).Transport.LocalEndPoint.Port, cancellationToken, seed).ConfigureAwait(false);
    }

    /// <summary>
    /// The <c>get_peers</c> and accepted <c>announce_peer</c> queries this node answers, as they come:
    /// a passive indexer's view of the DHT. The watch starts when the enumeration starts and ends when
    /// it stops, when the node stops (the enumeration then ends) or when
    /// <paramref name="cancellationToken"/> is cancelled (an <see cref="OperationCanceledException"/>).
    /// </summary>
    /// <remarks>
    /// The node never waits for a watcher: events go into a buffer of <paramref name="capacity"/>,
    /// and when a slow watcher lets it fill up the oldest event gives way (counted in
    /// <see cref="DhtNodeStatistics.HeardQueriesDropped"/>). The watcher's code never runs inside the
    /// node's event loop. While nobody watches, nothing is recorded.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is below 1.</exception>
    public IAsyncEnumerable<HeardQuery> WatchQueriesAsync(int capacity = DefaultWatchCapacity, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        return WatchAsync(capacity, cancellationToken);
    }

    /// <summary>Whether anyone watches the queries the node hears (tests: nothing is kept while nobody does).</summary>
    internal bool HasWatchers
    {
        get
        {
            lock (_gate)
            {
                return _context.Watchers is not null;
            }
        }
    }

    private async IAsyncEnumerable<HeardQuery> WatchAsync(int capacity, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Channel<HeardQuery> channel;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_context.Disposed, this);
            channel = (_context.Watchers ??= new QueryWatchers(_context.Counters)).Add(capacity);
        }

        try
        {
            await foreach (HeardQuery heard in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return heard;
            }
        }
        finally
        {
            lock (_gate)
            {
                if (_context.Watchers is QueryWatchers watchers)
                {
                    watchers.Remove(channel);
                    if (watchers.IsEmpty)
                    {
                        _context.Watchers = null;
                    }
                }
            }
        }
    }
}
