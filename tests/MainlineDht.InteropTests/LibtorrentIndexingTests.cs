using System.Net;
using MainlineDht.InteropTests.Support;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// BEP 51 and BEP 33 against libtorrent 2.0.8: it answers our <c>sample_infohashes</c> (the harness
/// sets <c>dht_sample_infohashes_interval</c> to 0, so it samples afresh each time and says
/// <c>interval</c> 0), our crawl reports the infohashes it holds, and our scrape reads its
/// <c>BFsd</c>/<c>BFpe</c> filters. What it holds is announced to it directly by our nodes, each from
/// its own 127.x address; the crawling and scraping nodes know libtorrent alone.
/// </summary>
public sealed class LibtorrentIndexingTests : GuardedTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly List<DhtNode> _nodes = [];
    private RealDhtClient? _client;

    private RealDhtClient Client => _client ?? throw new InvalidOperationException("libtorrent did not start.");

    [OneTimeSetUp]
    public async Task StartClient()
    {
        RequireInstalled(DhtClientKind.Libtorrent);
        _client = await RealDhtClient.StartAsync(DhtClientKind.Libtorrent, LoopbackAddresses.Next());
    }

    [TearDown]
    public async Task ShowClientLogOnFailure()
    {
        if (_client is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await TestContext.Out.WriteLineAsync($"--- libtorrent harness stderr (last lines) ---\n{_client.StderrTail}");
        }
    }

    [OneTimeTearDown]
    public async Task StopAll()
    {
        try
        {
            if (_client is not null)
            {
                await _client.DisposeAsync();
            }
        }
        finally
        {
            await OurNodes.DisposeAllAsync(_nodes);
        }
    }

    private async Task<DhtNode> StartNodeAsync(params IPEndPoint[] bootstrap)
    {
        DhtNode node = await OurNodes.StartAsync(LoopbackAddresses.Next(), bootstrap);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Announces <paramref name="infoHash"/> to libtorrent from a new node of ours: get_peers for a token, then announce_peer.</summary>
    private async Task AnnounceToClientAsync(NodeId infoHash, int port, bool seed = false)
    {
        DhtNode announcer = await StartNodeAsync();
        RpcResult token = await announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, Client.EndPoint);
        Assert.That(token.Status, Is.EqualTo(RpcStatus.Response));
        RpcResult announced = await announcer.SendQueryAsync(
            new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = port, Seed = seed, Token = token.Response!.Token.ToArray() },
            Client.EndPoint);
        Assert.That(announced.Status, Is.EqualTo(RpcStatus.Response), $"announce_peer: {announced.Error?.Code} {announced.Error?.MessageText}");
    }

    [Test]
    public async Task Libtorrent_answers_sample_infohashes_and_our_crawl_reports_the_infohashes_it_holds()
    {
        // libtorrent samples at most 20 (dht_max_infohashes_sample_count): fewer, so one reply has them all.
        var held = new HashSet<NodeId>();
        for (int i = 0; i < 12; i++)
        {
            NodeId infoHash = OurNodes.RandomInfoHash();
            await AnnounceToClientAsync(infoHash, 6100 + i);
            held.Add(infoHash);
        }

        DhtNode crawler = await StartNodeAsync(Client.EndPoint);
        RpcResult sampled = await crawler.SendQueryAsync(new SampleInfohashesQuery { Id = crawler.Id, Target = OurNodes.RandomInfoHash() }, Client.EndPoint);
        Assert.That(sampled.Status, Is.EqualTo(RpcStatus.Response));
        KrpcResponse reply = sampled.Response!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(reply.Interval, Is.Zero, "the harness sets dht_sample_infohashes_interval to 0");
            Assert.That(reply.Num, Is.GreaterThanOrEqualTo(held.Count));
            Assert.That(reply.Samples.Length % NodeId.Size, Is.Zero);
            Assert.That(reply.Samples.ToArray().Chunk(NodeId.Size).Select(c => new NodeId(c)), Is.SupersetOf(held));
        }

        Assert.That((await crawler.JoinAsync().Within(Wait)).Replies, Is.GreaterThan(0));
        using var limit = new CancellationTokenSource(Wait);
        var found = new Dictionary<NodeId, NodeInfo>();
        DhtCrawl crawl = crawler.CrawlAsync(new CrawlOptions { QueriesPerSecond = 50 }, limit.Token);
        await foreach (CrawledInfoHash infoHash in crawl)
        {
            found[infoHash.InfoHash] = infoHash.Node;
            if (held.IsSubsetOf(found.Keys))
            {
                break;
            }
        }

        Assert.That(found.Keys, Is.SupersetOf(held), $"crawl: {crawl.Statistics}");
        Assert.That(held.Select(h => found[h].Id), Is.All.EqualTo(Client.Id), "libtorrent is the node that sampled them");
        Assert.That(crawl.Statistics.NodesWithSamples, Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task Our_scrape_reads_libtorrents_bloom_filters()
    {
        // Our announcers enter libtorrent's table and so the scraper's: an infohash next to
        // libtorrent's own id keeps libtorrent among the closest nodes the scrape must query
        // (with a random one it is outside the closest 8 of 11 about a quarter of the time).
        byte[] near = Client.Id.ToArray();
        near[^1] ^= 0x01;
        var infoHash = new NodeId(near);
        const int Seeds = 4, Downloaders = 6;
        for (int i = 0; i < Seeds + Downloaders; i++)
        {
            await AnnounceToClientAsync(infoHash, 6200 + i, seed: i < Seeds);
        }

        DhtNode scraper = await StartNodeAsync(Client.EndPoint);
        Assert.That((await scraper.JoinAsync().Within(Wait)).Replies, Is.GreaterThan(0));
        ScrapeResult result = await scraper.ScrapeAsync(infoHash).Within(Wait);

        // Our announcers hold nothing for it: the filters are libtorrent's alone.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.NodesWithFilters, Is.EqualTo(1), $"{result}");
            Assert.That(result.Seeds, Is.EqualTo(Seeds), $"{result.SeedsEstimate}");
            Assert.That(result.Peers, Is.EqualTo(Downloaders), $"{result.PeersEstimate}");
            Assert.That(result.Report.ClosestNodes.Select(n => n.Id), Does.Contain(Client.Id));
        }
    }
}
