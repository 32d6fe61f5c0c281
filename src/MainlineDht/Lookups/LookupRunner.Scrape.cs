using MainlineDht.Diagnostics;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Lookups;

internal sealed partial class LookupRunner
{
    /// <summary>
    /// A BEP 33 scrape of <paramref name="infoHash"/> on every family: a <c>get_peers</c> traversal with
    /// <c>scrape</c> = 1 per family, every responder's filters merged by OR, and the counts estimated
    /// from the merged filters with the BEP's formula.
    /// </summary>
    public async Task<ScrapeResult> ScrapeAsync(NodeId infoHash, CancellationToken cancellationToken)
    {
        LookupScope scope = LookupScope.Start(Diagnostics, LookupScope.Scrape, infoHash);
        try
        {
            ScrapeResult result = await RunScrapeAsync(infoHash, cancellationToken).ConfigureAwait(false);
            scope.Complete(result.Report, ("dht.nodes_with_filters", result.NodesWithFilters));
            return result;
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
    }

    private async Task<ScrapeResult> RunScrapeAsync(NodeId infoHash, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        IReadOnlyList<FamilyTraversal<ScrapeOperation>> runs =
            await RunAsync(n => new ScrapeOperation(n, infoHash), null, cancellationToken).ConfigureAwait(false);
        var seeds = new ScrapeBloomFilter();
        var downloaders = new ScrapeBloomFilter();
        int withFilters = 0;
        foreach ((_, ScrapeOperation operation) in runs)
        {
            seeds.UnionWith(operation.Seeds);
            downloaders.UnionWith(operation.Downloaders);
            withFilters += operation.NodesWithFilters;
        }

        return new ScrapeResult
        {
            InfoHash = infoHash,
            Seeds = ScrapeResult.Count(seeds),
            Peers = ScrapeResult.Count(downloaders),
            SeedsEstimate = ScrapeResult.Estimate(seeds),
            PeersEstimate = ScrapeResult.Estimate(downloaders),
            NodesWithFilters = withFilters,
            Report = Report(infoHash, runs, started, cancellationToken.IsCancellationRequested),
        };
    }
}
