using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Lookups;

/// <summary>Lookups across a few hundred nodes on the in-memory network, on virtual time.</summary>
public sealed class LookupSimulationTests
{
    private VirtualTimeProvider _clock = null!;
    private InMemoryNetwork _network = null!;
    private readonly List<DhtNode> _nodes = [];

    [SetUp]
    public void CreateNetwork()
    {
        _clock = new VirtualTimeProvider();
        _network = new InMemoryNetwork(_clock, new Random(3))
        {
            Latency = (a, b) => TimeSpan.FromMilliseconds(10 + ((a.Address.GetHashCode() ^ b.Address.GetHashCode()) & 63)),
        };
    }

    [TearDown]
    public async Task StopNodes()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    private DhtNode AddNode(int index, IPEndPoint? bootstrap)
    {
        var endPoint = new IPEndPoint(new IPAddress([127, 1, (byte)(index >> 8), (byte)(index & 0xff)]), 6881);
        var node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = _clock,
                RandomSeed = index + 1,
                UsePublicRouters = false,
                BootstrapNodes = bootstrap is null ? [] : [bootstrap.ToString()],
                SendPolicy = NetworkGuard.Policy,
                RunContinuationsInline = true,
                QueriesPerSecondPerIp = 0,
            },
            _network.CreateTransport(endPoint));
        node.Start();
        _nodes.Add(node);
        return node;
    }

    private T Run<T>(Task<T> task, TimeSpan? limit = null)
    {
        bool done = _clock.RunUntil(() => task.IsCompleted, limit ?? TimeSpan.FromMinutes(2));
        Assert.That(done, Is.True, $"did not complete on virtual time: {task.Status} at {_clock.Elapsed}, {_clock.PendingTimers} timers, {_nodes.Count} nodes, sync {SynchronizationContext.Current?.GetType().Name}, sched {TaskScheduler.Current.GetType().Name}, {task.Exception}");
        return task.GetAwaiter().GetResult();
    }

    private void BuildNetwork(int count)
    {
        DhtNode first = AddNode(0, null);
        for (int i = 1; i < count; i++)
        {
            DhtNode node = AddNode(i, first.LocalEndPoint);
            Run(node.JoinAsync());
        }

        // Let verification pings settle, then have everyone look itself up again (as a refresh would).
        _clock.Advance(TimeSpan.FromSeconds(10));
        foreach (DhtNode node in _nodes)
        {
            Run(node.FindNodeAsync(node.Id));
        }
    }

    [Test]
    public void Every_announced_infohash_is_found_from_every_one_of_20_fresh_nodes()
    {
        BuildNetwork(200);
        var random = new Random(11);
        var announced = new Dictionary<NodeId, IPEndPoint>();
        for (int i = 0; i < 10; i++)
        {
            DhtNode announcer = _nodes[random.Next(_nodes.Count)];
            NodeId infoHash = NodeId.CreateRandom(random);
            LookupReport report = Run(announcer.AnnounceAsync(infoHash, 10_000 + i));
            Assert.That(report.AnnouncedTo, Has.Count.GreaterThanOrEqualTo(Traversal.K / 2), "an announce should reach most of the K closest nodes");
            announced[infoHash] = new IPEndPoint(announcer.LocalEndPoint.Address, 10_000 + i);
        }

        for (int f = 0; f < 20; f++)
        {
            DhtNode fresh = AddNode(1000 + f, _nodes[random.Next(200)].LocalEndPoint);
            Run(fresh.JoinAsync());
            foreach ((NodeId infoHash, IPEndPoint peer) in announced)
            {
                PeerLookupResult result = Run(fresh.LookupPeersAsync(infoHash));
                Assert.That(result.Peers, Does.Contain(peer), $"fresh node {f} did not find the peer of {infoHash}");
                Assert.That(result.Report.Replies, Is.LessThanOrEqualTo(result.Report.NodesQueried));
            }
        }
    }

    [Test]
    public void A_find_node_lookup_reaches_the_k_closest_nodes()
    {
        BuildNetwork(200);
        var random = new Random(12);
        for (int i = 0; i < 10; i++)
        {
            NodeId target = NodeId.CreateRandom(random);
            DhtNode from = _nodes[random.Next(_nodes.Count)];
            LookupReport report = Run(from.FindNodeAsync(target));
            NodeId[] expected = _nodes.Where(n => n != from).Select(n => n.Id).OrderBy(id => id ^ target).Take(Traversal.K).ToArray();
            Assert.That(report.ClosestNodes.Select(n => n.Id).ToArray(), Is.EqualTo(expected));
            Assert.That(report.Timeouts, Is.Zero);
            Assert.That(report.RoundTrips, Is.InRange(1, 10));
        }
    }

    [Test]
    public void The_lookup_report_counts_agree_with_the_traffic_the_nodes_saw()
    {
        BuildNetwork(100);
        DhtNode from = _nodes[5];
        long sentBefore = from.GetStatistics().QueriesSent["get_peers"];
        long receivedBefore = _nodes.Sum(n => n.GetStatistics().QueriesReceived["get_peers"]);
        PeerLookupResult result = Run(from.LookupPeersAsync(NodeId.CreateRandom(new Random(4))));
        _clock.Advance(TimeSpan.FromSeconds(10)); // let any slow reply land
        long sent = from.GetStatistics().QueriesSent["get_peers"] - sentBefore;
        long received = _nodes.Sum(n => n.GetStatistics().QueriesReceived["get_peers"]) - receivedBefore;
        Assert.That(result.Report.NodesQueried, Is.EqualTo(sent));
        Assert.That(received, Is.EqualTo(sent), "on a lossless network every query arrives");
        Assert.That(result.Report.Replies + result.Report.Timeouts + result.Report.Errors, Is.LessThanOrEqualTo(result.Report.NodesQueried));
    }

    [Test]
    public void A_cancelled_lookup_stops_sending_and_leaves_no_transaction()
    {
        BuildNetwork(100);
        DhtNode from = _nodes[7];
        using var cts = new CancellationTokenSource();
        long sentAtCancel = -1;

        // Cancel from the virtual clock, mid-lookup, so that everything stays on one thread.
        using ITimer cancel = _clock.CreateTimer(
            _ =>
            {
                sentAtCancel = from.GetStatistics().QueriesSent["get_peers"];
                cts.Cancel();
            },
            null,
            TimeSpan.FromMilliseconds(15),
            Timeout.InfiniteTimeSpan);
        Task<PeerLookupResult> lookup = from.LookupPeersAsync(NodeId.CreateRandom(new Random(9)), cts.Token);
        PeerLookupResult result = Run(lookup);
        Assert.That(sentAtCancel, Is.GreaterThan(0), "the lookup was under way when cancelled");
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(result.Report.Cancelled, Is.True);
        Assert.That(from.GetStatistics().QueriesSent["get_peers"], Is.EqualTo(sentAtCancel), "no query after cancellation");
        Assert.That(from.GetStatistics().OutstandingQueries, Is.Zero);
    }
}
