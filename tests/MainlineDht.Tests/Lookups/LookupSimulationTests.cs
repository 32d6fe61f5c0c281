using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Lookups;

/// <summary>Lookups across a few hundred nodes on the in-memory network, on virtual time.</summary>
public sealed class LookupSimulationTests : GuardedTest
{
    private VirtualNetwork _network = null!;

    [SetUp]
    public void CreateNetwork()
    {
        _network = new VirtualNetwork(seed: 3);
        _network.Network.Latency = LinkLatency;
    }

    /// <summary>10 to 73 ms one way, the same both ways and in every run (a function of the two addresses).</summary>
    private static TimeSpan LinkLatency(IPEndPoint a, IPEndPoint b)
    {
        uint mixed = (Key(a) ^ Key(b)) * 2654435761u;
        return TimeSpan.FromMilliseconds(10 + (mixed >> 26));

        static uint Key(IPEndPoint endPoint)
        {
            byte[] bytes = endPoint.Address.GetAddressBytes();
            return (uint)((bytes[2] << 8) | bytes[3]);
        }
    }

    [TearDown]
    public async Task StopNodes() => await _network.DisposeAsync();

    private DhtNode AddNode(int index, IPEndPoint? bootstrap) =>
        _network.StartNode(new IPAddress([127, 1, (byte)(index >> 8), (byte)(index & 0xff)]), index + 1, bootstrap);

    private IReadOnlyList<DhtNode> Nodes => _network.Nodes;

    private T Run<T>(Task<T> task) => _network.Run(task);

    private void Run(Task task) => _network.Run(task);

    private VirtualTimeProvider Clock => _network.Clock;

    private void BuildNetwork(int count)
    {
        DhtNode first = AddNode(0, null);
        for (int i = 1; i < count; i++)
        {
            DhtNode node = AddNode(i, first.LocalEndPoint);
            Run(node.JoinAsync());
        }

        // Let verification pings settle, then have everyone look itself up again (as a refresh would).
        Clock.Advance(TimeSpan.FromSeconds(10));
        foreach (DhtNode node in Nodes)
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
            DhtNode announcer = Nodes[random.Next(Nodes.Count)];
            NodeId infoHash = NodeId.CreateRandom(random);
            LookupReport report = Run(announcer.AnnounceAsync(infoHash, 10_000 + i));
            Assert.That(report.AnnouncedTo, Has.Count.GreaterThanOrEqualTo(Traversal.K / 2), "an announce should reach most of the K closest nodes");
            announced[infoHash] = new IPEndPoint(announcer.LocalEndPoint.Address, 10_000 + i);
        }

        for (int f = 0; f < 20; f++)
        {
            DhtNode fresh = AddNode(1000 + f, Nodes[random.Next(200)].LocalEndPoint);
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
            DhtNode from = Nodes[random.Next(Nodes.Count)];
            LookupReport report = Run(from.FindNodeAsync(target));
            NodeId[] expected = Nodes.Where(n => n != from).Select(n => n.Id).OrderBy(id => id ^ target).Take(Traversal.K).ToArray();
            Assert.That(report.ClosestNodes.Select(n => n.Id).ToArray(), Is.EqualTo(expected));
            Assert.That(report.Timeouts, Is.Zero);
            Assert.That(report.RoundTrips, Is.InRange(1, 10));
        }
    }

    [Test]
    public void The_lookup_report_counts_agree_with_the_traffic_the_nodes_saw()
    {
        BuildNetwork(100);
        DhtNode from = Nodes[5];
        long sentBefore = from.GetStatistics().QueriesSent["get_peers"];
        long receivedBefore = Nodes.Sum(n => n.GetStatistics().QueriesReceived["get_peers"]);
        PeerLookupResult result = Run(from.LookupPeersAsync(NodeId.CreateRandom(new Random(4))));
        Clock.Advance(TimeSpan.FromSeconds(10)); // let any slow reply land
        long sent = from.GetStatistics().QueriesSent["get_peers"] - sentBefore;
        long received = Nodes.Sum(n => n.GetStatistics().QueriesReceived["get_peers"]) - receivedBefore;
        Assert.That(result.Report.NodesQueried, Is.EqualTo(sent));
        Assert.That(received, Is.EqualTo(sent), "on a lossless network every query arrives");
        Assert.That(result.Report.Replies + result.Report.Timeouts + result.Report.Errors, Is.LessThanOrEqualTo(result.Report.NodesQueried));
    }

    [Test]
    public void A_cancelled_lookup_stops_sending_and_leaves_no_transaction()
    {
        BuildNetwork(100);
        DhtNode from = Nodes[7];
        using var cts = new CancellationTokenSource();
        long sentAtCancel = -1;

        // Cancel from the virtual clock, mid-lookup, so that everything stays on one thread.
        using ITimer cancel = Clock.CreateTimer(
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
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(result.Report.Cancelled, Is.True);
        Assert.That(from.GetStatistics().QueriesSent["get_peers"], Is.EqualTo(sentAtCancel), "no query after cancellation");
        Assert.That(from.GetStatistics().OutstandingQueries, Is.Zero);
    }

    [Test]
    public void An_announce_with_no_valid_port_faults_its_task_rather_than_throwing()
    {
        DhtNode node = AddNode(0, null);

        Task<LookupReport> announce = node.AnnounceAsync(NodeId.Zero, 0);

        Assert.That(announce.IsFaulted, Is.True);
        Assert.That(() => announce.GetAwaiter().GetResult(), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
