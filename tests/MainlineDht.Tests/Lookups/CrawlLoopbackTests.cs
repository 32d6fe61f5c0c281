using System.Diagnostics;
using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The crawl and the scrape over real UDP: a swarm of 200 of our nodes, each on its own 127.13.x
/// address, where 1,000 infohashes were announced; a fresh node crawls it and scrapes a swarm of 20
/// seeds and 30 downloaders.
/// </summary>
[NonParallelizable]
public sealed class CrawlLoopbackTests : GuardedTest
{
    private const int SwarmSize = 200;
    private const int InfoHashCount = 1_000;

    private readonly List<DhtNode> _nodes = [];
    private readonly HashSet<NodeId> _announced = [];
    private int _nextFresh;

    private static DhtNodeOptions Options(IPAddress address, IEnumerable<IPEndPoint> bootstrap) => new()
    {
        BindEndPoint = new IPEndPoint(address, 0),
        BootstrapNodes = bootstrap.Select(b => b.ToString()).ToList(),
        UsePublicRouters = false,
        SendPolicy = NetworkGuard.Policy,
        QueriesPerSecondPerIp = 0,
        QueryTimeout = TimeSpan.FromSeconds(2),
    };

    private static IPAddress Address(int block, int index) => new([127, (byte)block, (byte)(index >> 8), (byte)((index & 0xff) + 1)]);

    private async Task<DhtNode> StartAsync(DhtNodeOptions options)
    {
        DhtNode node = await DhtNode.StartAsync(options);
        _nodes.Add(node);
        return node;
    }

    [OneTimeSetUp]
    public async Task BuildSwarmAndAnnounce()
    {
        var clock = Stopwatch.StartNew();
        DhtNode first = await StartAsync(Options(Address(13, 0), []));
        for (int batch = 1; batch < SwarmSize; batch += 25)
        {
            await Task.WhenAll(Enumerable.Range(batch, Math.Min(25, SwarmSize - batch)).Select(async i =>
            {
                DhtNode node = await StartAsync(Options(Address(13, i), [first.LocalEndPoint, _nodes[^1].LocalEndPoint]));
                await node.JoinAsync();
            }));
        }

        List<DhtNode> swarm = [.. _nodes];
        await Task.WhenAll(swarm.Select(n => n.FindNodeAsync(n.Id)));

        var random = new Random(13);
        var infoHashes = Enumerable.Range(0, InfoHashCount).Select(_ => NodeId.CreateRandom(random)).ToList();
        int[] announcers = [.. infoHashes.Select(_ => random.Next(swarm.Count))];
        for (int batch = 0; batch < InfoHashCount; batch += 100)
        {
            LookupReport[] reports = await Task.WhenAll(Enumerable.Range(batch, 100).Select(i => swarm[announcers[i]].AnnounceAsync(infoHashes[i], 10_000 + (i % 50_000))));
            Assert.That(reports.Count(r => r.AnnouncedTo.Count == 0), Is.Zero, "every announce reached a node");
        }

        _announced.UnionWith(infoHashes);
        await TestContext.Progress.WriteLineAsync($"{SwarmSize} nodes joined and {InfoHashCount} infohashes announced in {clock.Elapsed.TotalSeconds:F1} s");
    }

    [OneTimeTearDown]
    public async Task StopNodes()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
    }

    private async Task<DhtNode> FreshNodeAsync()
    {
        DhtNode node = await StartAsync(Options(Address(14, _nextFresh++), [_nodes[17].LocalEndPoint]));
        Assert.That((await node.JoinAsync()).Replies, Is.GreaterThan(0));
        return node;
    }

    [Test]
    [CancelAfter(90_000)]
    public async Task A_crawl_finds_95_percent_of_1000_announced_infohashes_within_60_seconds()
    {
        DhtNode crawler = await FreshNodeAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var clock = Stopwatch.StartNew();
        var found = new HashSet<NodeId>();
        TimeSpan? reached = null;
        DhtCrawl crawl = crawler.CrawlAsync(new CrawlOptions { QueriesPerSecond = 100 }, limit.Token);
        await foreach (CrawledInfoHash infoHash in crawl)
        {
            Assert.That(_announced.Contains(infoHash.InfoHash), Is.True, "only what was announced exists to be found");
            found.Add(infoHash.InfoHash);
            if (reached is null && found.Count >= 0.95 * InfoHashCount)
            {
                reached = clock.Elapsed;
            }

            if (found.Count == InfoHashCount)
            {
                break;
            }
        }

        CrawlStatistics stats = crawl.Statistics;
        await TestContext.Progress.WriteLineAsync(
            $"found {found.Count} of {InfoHashCount} in {clock.Elapsed.TotalSeconds:F1} s (95% at {reached?.TotalSeconds:F1} s): {stats}");
        Assert.That(reached, Is.Not.Null, $"found {found.Count} of {InfoHashCount} in 60 s");
        Assert.That(stats.NodesQueried, Is.LessThanOrEqualTo(SwarmSize + 1), "each node asked once (their interval is 5 minutes)");
        Assert.That(stats.NodesWithSamples, Is.GreaterThan(SwarmSize / 2));
        Assert.That(stats.NewInfoHashes, Is.EqualTo(found.Count));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_scrape_counts_20_seeds_and_30_downloaders_within_the_estimates_error()
    {
        var random = new Random(21);
        NodeId infoHash = NodeId.CreateRandom(random);
        List<DhtNode> announcers = [.. _nodes.Take(SwarmSize).OrderBy(_ => random.Next()).Take(50)];
        LookupReport[] reports = await Task.WhenAll(announcers.Select((n, i) => n.AnnounceAsync(infoHash, 6000 + i, impliedPort: false, seed: i < 20)));
        Assert.That(reports.Count(r => r.AnnouncedTo.Count == 0), Is.Zero);

        DhtNode scraper = await FreshNodeAsync();
        ScrapeResult result = await scraper.ScrapeAsync(infoHash);
        await TestContext.Progress.WriteLineAsync($"scrape: {result.SeedsEstimate:F2} seeds, {result.PeersEstimate:F2} downloaders from {result.NodesWithFilters} nodes; {result.Report.NodesQueried} queried");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.SeedsEstimate, Is.EqualTo(20).Within(ScrapeTests.ExpectedError(20)));
            Assert.That(result.PeersEstimate, Is.EqualTo(30).Within(ScrapeTests.ExpectedError(30)));
            Assert.That(result.NodesWithFilters, Is.GreaterThanOrEqualTo(Traversal.K / 2));
        }
    }
}
