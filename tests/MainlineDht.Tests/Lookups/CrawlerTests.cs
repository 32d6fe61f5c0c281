using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The BEP 51 crawl on fake nodes and virtual time: it finds what the nodes hold, reports each
/// infohash once, never asks a node again within its interval, keeps to its rate, and keeps its
/// memory within bounds however much it sees.
/// </summary>
public sealed class CrawlerTests
{
    private readonly VirtualTimeProvider _clock = new();

    /// <summary>A running crawl: what it found so far, and how to stop it.</summary>
    private sealed class Running(DhtCrawl crawl, CancellationTokenSource stop, List<CrawledInfoHash> found, Task consumer)
    {
        public DhtCrawl Crawl { get; } = crawl;

        public List<CrawledInfoHash> Found { get; } = found;

        public Task Consumer { get; } = consumer;

        public void Stop(VirtualTimeProvider clock)
        {
            stop.Cancel();
            Assert.That(clock.RunUntil(() => Consumer.IsCompleted, TimeSpan.FromSeconds(10)), Is.True, $"the crawl did not end when cancelled: {Consumer.Status} {clock.PendingEvents}");
            Consumer.GetAwaiter().GetResult();
        }
    }

    private Running Start(SampleNetwork network, CrawlOptions options, int seed = 1)
    {
        var stop = new CancellationTokenSource();
        var crawl = new DhtCrawl(new Crawler([network], _clock, options, new Random(seed)), stop.Token, CancellationToken.None);
        var found = new List<CrawledInfoHash>();
        return new Running(crawl, stop, found, ConsumeAsync());

        async Task ConsumeAsync()
        {
            // ConfigureAwait(false): the consumer runs on the clock's thread, as the crawl does (NUnit's
            // context would post it to the thread pool, and the crawl waits for its consumer).
            await foreach (CrawledInfoHash infoHash in crawl.ConfigureAwait(false))
            {
                found.Add(infoHash);
            }
        }
    }

    [Test]
    public void A_crawl_finds_every_infohash_the_nodes_hold_once_each_with_the_node_that_sampled_it()
    {
        var network = new SampleNetwork(_clock, seed: 2) { SampleSize = 1_000 }.AddNodes(300);
        HashSet<NodeId> stored = network.Store(2_000, copies: 3);
        Running crawl = Start(network, new CrawlOptions { QueriesPerSecond = 100 });

        _clock.Advance(TimeSpan.FromMinutes(1)); // 300 nodes at 100 q/s; nobody asked twice (5-minute intervals)
        crawl.Stop(_clock);

        Assert.That(crawl.Found.Select(f => f.InfoHash), Is.Unique, "each infohash is reported once");
        Assert.That(crawl.Found.Select(f => f.InfoHash).ToHashSet().SetEquals(stored), Is.True, $"found {crawl.Found.Count} of {stored.Count}");
        foreach (CrawledInfoHash found in crawl.Found.Take(100))
        {
            SampleNetwork.Node node = network.ByEndPoint[found.Node.EndPoint];
            Assert.That(node.Id, Is.EqualTo(found.Node.Id));
            Assert.That(node.InfoHashes, Does.Contain(found.InfoHash), "the node named holds it");
        }

        CrawlStatistics stats = crawl.Crawl.Statistics;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stats.NewInfoHashes, Is.EqualTo(stored.Count));
            Assert.That(stats.NodesQueried, Is.EqualTo(300), "every node was asked (once: each interval is 5 minutes)");
            Assert.That(stats.NodesWithSamples, Is.EqualTo(300));
            Assert.That(stats.Samples, Is.GreaterThanOrEqualTo(stored.Count));
            Assert.That(stats.QueriesSent, Is.EqualTo(network.Sent.Count));
            Assert.That(network.InFlight, Is.Zero, "cancelling left no query behind");
            Assert.That(network.Sent.Select(s => s.Query), Is.All.InstanceOf<SampleInfohashesQuery>());
            // One query in four asks for the node's own id (its neighbours), the others for a random id.
            var targets = network.Sent.Select(s => (Target: ((SampleInfohashesQuery)s.Query).Target, Node: network.ByEndPoint[s.EndPoint].Id)).ToList();
            Assert.That(targets.Count(t => t.Target == t.Node), Is.EqualTo(targets.Count / 4).Within(1), "neighbour queries");
            Assert.That(targets.Where(t => t.Target != t.Node).Select(t => t.Target).Distinct().Count(), Is.EqualTo(targets.Count(t => t.Target != t.Node)), "the others each a random target: the walk spreads over the keyspace");
        }
    }

    [Test]
    public void A_crawl_never_asks_a_node_again_within_its_interval_and_comes_back_after_it()
    {
        var network = new SampleNetwork(_clock, seed: 3).AddNodes(150);
        network.Store(600, copies: 4);
        var random = new Random(4);
        foreach (SampleNetwork.Node node in network.Nodes)
        {
            node.Interval = random.Next(0, 900); // 0 s to 15 min; some say 0, which the minimum (1 min) covers
        }

        network.Nodes[7].Bep51Missing = "response";
        network.Nodes[8].Bep51Missing = "error";
        network.Nodes[9].Dead = true;
        var options = new CrawlOptions { QueriesPerSecond = 50, MinimumInterval = TimeSpan.FromMinutes(1) };
        Running crawl = Start(network, options);

        _clock.Advance(TimeSpan.FromMinutes(45));
        crawl.Stop(_clock);

        int revisited = 0;
        foreach (IGrouping<IPEndPoint, (TimeSpan At, IPEndPoint EndPoint, KrpcQuery Query)> asks in network.Sent.GroupBy(s => s.EndPoint))
        {
            SampleNetwork.Node node = network.ByEndPoint[asks.Key];
            TimeSpan wait = node.Bep51Missing is not null ? Crawler.MaxInterval
                : node.Dead ? Crawler.FailedWait
                : TimeSpan.FromSeconds(Math.Max(node.Interval, options.MinimumInterval.TotalSeconds));
            TimeSpan[] times = [.. asks.Select(a => a.At)];
            for (int i = 1; i < times.Length; i++)
            {
                // The wait counts from the answer (30 ms after the ask), so asks are at least that far apart.
                Assert.That(times[i] - times[i - 1], Is.GreaterThanOrEqualTo(wait), $"{asks.Key} (interval {node.Interval} s) asked at {times[i - 1]} and again at {times[i]}");
            }

            revisited += times.Length > 1 ? 1 : 0;
            if (node.Bep51Missing is null && !node.Dead)
            {
                // ...and is asked again soon after (revisits that are due go first).
                for (int i = 1; i < times.Length; i++)
                {
                    Assert.That(times[i] - times[i - 1], Is.LessThan(wait + TimeSpan.FromSeconds(5)), $"{asks.Key} (interval {node.Interval} s) came back late");
                }

                Assert.That(times[^1], Is.GreaterThan(TimeSpan.FromMinutes(45) - wait - TimeSpan.FromSeconds(5)), $"{asks.Key} (interval {node.Interval} s) was not asked again after {times[^1]}");
            }
        }

        Assert.That(revisited, Is.GreaterThan(100), "the nodes that sample are asked again once their interval is over");
        Assert.That(network.Sent.Count(s => s.EndPoint.Equals(network.Nodes[7].EndPoint) || s.EndPoint.Equals(network.Nodes[8].EndPoint)), Is.EqualTo(2), "a node without BEP 51 is asked once in 6 hours");
        Assert.That(network.Sent.Count(s => s.EndPoint.Equals(network.Nodes[9].EndPoint)), Is.InRange(1, 2), "a silent node: once per 30 minutes");
        CrawlStatistics stats = crawl.Crawl.Statistics;
        Assert.That((stats.NodesWithSamples, stats.Errors), Is.EqualTo((147L, 1L)));
        Assert.That(stats.NodesQueried, Is.InRange(150, 151), "each node once, the silent one perhaps again after 30 minutes");
        Assert.That(stats.Timeouts, Is.InRange(1, 2));
    }

    [TestCase(5.0)]
    [TestCase(20.0)]
    [TestCase(200.0)]
    public void The_query_rate_bound_holds_over_every_window(double rate)
    {
        var network = new SampleNetwork(_clock, seed: 5).AddNodes(3_000);
        network.Store(100, copies: 2);
        Running crawl = Start(network, new CrawlOptions { QueriesPerSecond = rate });
        TimeSpan span = TimeSpan.FromSeconds(rate >= 100 ? 10 : 60);
        _clock.Advance(span);
        crawl.Stop(_clock);

        double burst = Math.Max(1, Math.Floor(rate / 10));
        TimeSpan[] times = [.. network.Sent.Select(s => s.At)];
        Assert.That(times, Has.Length.LessThanOrEqualTo((rate * span.TotalSeconds) + burst));
        Assert.That(times, Has.Length.GreaterThanOrEqualTo(0.95 * rate * span.TotalSeconds), "the crawl uses the rate it is given");
        foreach (double window in new[] { 0.1, 1, 5 })
        {
            int j = 0;
            for (int i = 0; i < times.Length; i++)
            {
                while (times[i] - times[j] > TimeSpan.FromSeconds(window))
                {
                    j++;
                }

                Assert.That(i - j + 1, Is.LessThanOrEqualTo((rate * window) + burst), $"{i - j + 1} queries within {window} s at {times[i]}");
            }
        }

        Assert.That(crawl.Crawl.Statistics.QueriesPerSecond, Is.EqualTo(rate).Within(rate * 0.06));
    }

    [Test]
    public void The_de_duplication_stays_within_its_memory_over_a_million_infohashes()
    {
        var filter = new InfoHashFilter(capacity: 250_000, falsePositiveRate: 0.001, new Random(6));
        long size = filter.MemoryBytes;
        var random = new Random(7);
        Span<byte> bytes = stackalloc byte[NodeId.Size];
        int taken = 0, missed = 0;
        NodeId[] lastOnes = new NodeId[1_000];

        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000_000; i++)
        {
            random.NextBytes(bytes);
            var infoHash = new NodeId(bytes);
            if (filter.AddIfNew(infoHash))
            {
                taken++;
            }
            else
            {
                missed++; // a false positive: all of these are new
            }

            lastOnes[i % lastOnes.Length] = infoHash;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        using (Assert.EnterMultipleScope())
        {
            // Nothing per infohash: a million of them would be megabytes. A few KB may come from the
            // runtime itself while the loop is recompiled (tiering, on-stack replacement) on a loaded machine.
            Assert.That(allocated, Is.LessThan(64 * 1024), "nothing is allocated per infohash after construction");
            Assert.That(filter.MemoryBytes, Is.EqualTo(size));
            Assert.That(size, Is.LessThanOrEqualTo(2 * 250_000 * 15 / 8 + 64), "two filters of ~14.4 bits per infohash (0.1%)");
            Assert.That(filter.Rotations, Is.InRange(3, 4));
            Assert.That(missed, Is.LessThan(2 * 0.001 * 1_000_000), $"false positives: {missed}");
            Assert.That(lastOnes.Count(h => filter.AddIfNew(h)), Is.Zero, "the most recent are remembered");
        }

        // With the crawl's defaults (1,000,000 per filter at 0.1%): 3.6 MB, whatever the crawl's length.
        Assert.That(new InfoHashFilter(1_000_000, 0.001, new Random(1)).MemoryBytes, Is.InRange(3_500_000, 3_700_000));
    }

    [Test]
    public void An_infohash_seen_again_and_again_survives_rotation()
    {
        var filter = new InfoHashFilter(capacity: 1_000, falsePositiveRate: 0.01, new Random(8));
        var random = new Random(9);
        NodeId popular = NodeId.CreateRandom(random);
        Assert.That(filter.AddIfNew(popular), Is.True);
        for (int i = 0; i < 10_000; i++)
        {
            filter.AddIfNew(NodeId.CreateRandom(random));
            if (i % 500 == 0)
            {
                Assert.That(filter.AddIfNew(popular), Is.False, $"forgotten after {i}");
            }
        }

        Assert.That(filter.Rotations, Is.GreaterThanOrEqualTo(9));
    }

    [Test]
    public void The_node_table_and_the_queue_stay_within_their_bounds()
    {
        var network = new SampleNetwork(_clock, seed: 10).AddNodes(3_000);
        network.Store(500, copies: 2);
        var options = new CrawlOptions { QueriesPerSecond = 200, MaxKnownNodes = 500, MaxQueuedNodes = 100 };
        Running crawl = Start(network, options);
        int maxKnown = 0, maxQueued = 0, maxItems = 0;
        for (int second = 0; second < 120; second++)
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            CrawlStatistics stats = crawl.Crawl.Statistics;
            maxKnown = Math.Max(maxKnown, stats.KnownNodes);
            maxQueued = Math.Max(maxQueued, stats.QueuedNodes);
            maxItems = Math.Max(maxItems, crawl.Crawl.Crawler.Schedule.QueueItems);
        }

        crawl.Stop(_clock);
        Assert.That(maxKnown, Is.EqualTo(500), "the table fills up to its bound and no further");
        Assert.That(maxQueued, Is.LessThanOrEqualTo(100));
        Assert.That(maxItems, Is.LessThanOrEqualTo((2 * 500) + 64 + 1));
        Assert.That(crawl.Crawl.Statistics.QueriesSent, Is.GreaterThan(20_000), "a full table does not stop the crawl");
    }

    [Test]
    public void A_crawl_is_enumerated_once_and_options_are_checked()
    {
        var network = new SampleNetwork(_clock, seed: 11).AddNodes(3);
        var crawl = new DhtCrawl(new Crawler([network], _clock, new CrawlOptions(), new Random(1)), CancellationToken.None, CancellationToken.None);
        IAsyncEnumerator<CrawledInfoHash> first = crawl.GetAsyncEnumerator();
        Assert.Throws<InvalidOperationException>(() => crawl.GetAsyncEnumerator());
        Assert.That(first.DisposeAsync().IsCompleted, Is.True);

        Assert.Throws<ArgumentException>(() => new CrawlOptions { QueriesPerSecond = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new CrawlOptions { MaxKnownNodes = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new CrawlOptions { DeduplicationFalsePositiveRate = 1 }.Validate());
        Assert.Throws<ArgumentException>(() => new CrawlOptions { MinimumInterval = TimeSpan.FromSeconds(-1) }.Validate());
    }
}
