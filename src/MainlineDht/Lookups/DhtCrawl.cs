using MainlineDht.Diagnostics;

namespace MainlineDht.Lookups;

/// <summary>
/// A BEP 51 crawl (<see cref="DhtNode.CrawlAsync"/>): enumerate it to run it; each infohash met for
/// the first time comes as soon as the reply that sampled it is in. The crawl runs while it is
/// enumerated and ends when the enumeration stops, or — without an exception: it is the way a crawl
/// ends — when its token is cancelled or the node stops.
/// <see cref="Statistics"/> may be read at any time, from any thread.
/// </summary>
/// <remarks>
/// A crawl is enumerated once. It never re-asks a node before the <c>interval</c> that node gave,
/// sends at most <see cref="CrawlOptions.QueriesPerSecond"/>, and keeps its memory flat: a bounded
/// table of nodes, a bounded queue, and de-duplication filters whose size is fixed at the start.
/// </remarks>
public sealed class DhtCrawl : IAsyncEnumerable<CrawledInfoHash>
{
    private readonly Crawler _crawler;
    private readonly CancellationToken _cancellationToken;
    private readonly CancellationToken _nodeStopping;
    private readonly NodeDiagnostics? _diagnostics;
    private int _enumerated;

    internal DhtCrawl(Crawler crawler, CancellationToken cancellationToken, CancellationToken nodeStopping, NodeDiagnostics? diagnostics = null)
    {
        _crawler = crawler;
        _cancellationToken = cancellationToken;
        _nodeStopping = nodeStopping;
        _diagnostics = diagnostics;
    }

    /// <summary>The crawl's figures so far: nodes asked, nodes with samples, samples, new infohashes, queries per second.</summary>
    public CrawlStatistics Statistics => _crawler.Statistics;

    /// <summary>The internal crawl, for tests.</summary>
    internal Crawler Crawler => _crawler;

    /// <summary>Starts the crawl; it stops when <paramref name="cancellationToken"/>, the token given to <see cref="DhtNode.CrawlAsync"/> or the node's stop fires.</summary>
    /// <exception cref="InvalidOperationException">The crawl was enumerated before.</exception>
    public IAsyncEnumerator<CrawledInfoHash> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _enumerated, 1) != 0)
        {
            throw new InvalidOperationException("A crawl is enumerated once; start another with DhtNode.CrawlAsync.");
        }

        return RunAsync().GetAsyncEnumerator(cancellationToken);
    }

    private async IAsyncEnumerable<CrawledInfoHash> RunAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancellationToken, _nodeStopping);
        CrawlScope scope = CrawlScope.Start(_diagnostics); // one activity for the whole crawl
        Exception? failure = null;
        IAsyncEnumerator<CrawledInfoHash> found = _crawler.RunAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await found.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failure = e;
                    throw;
                }

                if (!more)
                {
                    break;
                }

                yield return found.Current;
            }
        }
        finally
        {
            await found.DisposeAsync().ConfigureAwait(false);
            scope.End(_crawler.Statistics, failure);
        }
    }
}
