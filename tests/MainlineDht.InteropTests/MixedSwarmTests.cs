using System.Diagnostics;
using System.Net;
using MainlineDht.InteropTests.Support;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// One real client among 50 of our nodes, each on its own 127.0.x.y address, all joined into
/// one DHT: peers the client announces are found by lookups started from our nodes, and peers
/// our nodes announce are found by the client's lookups.
/// </summary>
[TestFixtureSource(typeof(Clients), nameof(Clients.All))]
public sealed class MixedSwarmTests(DhtClientKind kind) : GuardedTest
{
    private const int OurNodeCount = 50;
    private const int MinOursInClientTable = 16;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(30);

    private readonly List<DhtNode> _nodes = [];
    private RealDhtClient? _client;

    [OneTimeSetUp]
    public void RequireClient() => RequireInstalled(kind);

    [TearDown]
    public async Task StopAll()
    {
        try
        {
            if (_client is not null)
            {
                if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
                {
                    await TestContext.Out.WriteLineAsync($"--- {kind} harness stderr (last lines) ---\n{_client.StderrTail}");
                }

                await _client.DisposeAsync();
                _client = null;
            }
        }
        finally
        {
            await OurNodes.DisposeAllAsync(_nodes);
            _nodes.Clear();
        }
    }

    [Test]
    public async Task Lookups_from_either_side_find_peers_announced_from_the_other()
    {
        var clock = Stopwatch.StartNew();
        RealDhtClient client = _client = await RealDhtClient.StartAsync(kind, LoopbackAddresses.Next());

        // Our 50 nodes: the first joins through the client, the others through the first and the
        // client, all at once; then all refresh once more so that early joiners learn late ones.
        DhtNode first = await OurNodes.StartAsync(LoopbackAddresses.Next(), client.EndPoint);
        _nodes.Add(first);
        for (int i = 1; i < OurNodeCount; i++)
        {
            _nodes.Add(await OurNodes.StartAsync(LoopbackAddresses.Next(), first.LocalEndPoint, client.EndPoint));
        }

        await first.JoinAsync().Within(LookupTimeout);
        await Task.WhenAll(_nodes.Skip(1).Select(n => n.JoinAsync())).Within(LookupTimeout);
        await Task.WhenAll(_nodes.Select(n => n.FindNodeAsync(n.Id))).Within(LookupTimeout);
        // The client hears of all of ours too. (libtorrent takes a node that only queried it into its
        // table only once it has answered one of libtorrent's queries; bittorrent-dht keeps the
        // first 20 per bucket and drops later ones while the old ones answer.)
        foreach (DhtNode node in _nodes)
        {
            await client.AddNodeAsync(node.LocalEndPoint);
        }

        TestContext.Out.WriteLine($"swarm of {OurNodeCount} + {kind} joined in {clock.Elapsed.TotalSeconds:0.0} s; " +
            $"our routing tables hold {_nodes.Min(n => n.GetRoutingTable().Count)} to {_nodes.Max(n => n.GetRoutingTable().Count)} nodes");
        Assert.That(_nodes.Select(n => n.GetRoutingTable().Count), Has.All.GreaterThanOrEqualTo(8), "every one of our nodes joined");
        Assert.That(_nodes.Count(n => n.GetRoutingTable().Any(e => e.Id == client.Id)), Is.GreaterThanOrEqualTo(8), "our nodes keep the client");
        IReadOnlyList<NodeInfo> clientTable = [];
        Assert.That(await UntilAsync(async () => OursIn(clientTable = await client.RoutingTableAsync()) >= MinOursInClientTable, Wait), Is.True,
            $"{kind} keeps our nodes: {OursIn(clientTable)} of ours in its table of {clientTable.Count}");
        TestContext.Out.WriteLine($"{kind}'s routing table: {clientTable.Count} nodes, {OursIn(clientTable)} of them ours");

        // The client announces; lookups started from five of ours find it.
        NodeId fromClient = OurNodes.RandomInfoHash();
        AnnounceResult announce = await client.AnnounceAsync(fromClient, PortToAnnounce(client), LookupTimeout);
        Assert.That(announce.Ok, Is.True, $"{kind} announce: {announce}");
        IPEndPoint clientPeer = AnnouncedPeer(client, announce);
        Assert.That(await UntilAsync(() => _nodes.Sum(n => n.GetStatistics().AnnouncesAccepted) >= 1, Wait), Is.True, "our nodes accepted the client's announce_peer");
        DhtNode[] seekers = [_nodes[10], _nodes[20], _nodes[30], _nodes[40], _nodes[49]];
        PeerLookupResult[] found = await Task.WhenAll(seekers.Select(n => n.LookupPeersAsync(fromClient))).Within(LookupTimeout);
        for (int i = 0; i < seekers.Length; i++)
        {
            TestContext.Out.WriteLine($"lookup from {seekers[i].LocalEndPoint}: {Describe(found[i].Report)}");
            Assert.That(found[i].Peers, Does.Contain(clientPeer), $"lookup from {seekers[i].LocalEndPoint}: {Describe(found[i].Report)}");
        }

        // Three of ours announce; the client's lookups find each.
        DhtNode[] announcers = [_nodes[5], _nodes[25], _nodes[45]];
        NodeId[] fromUs = [.. announcers.Select(_ => OurNodes.RandomInfoHash())];
        LookupReport[] reports = await Task.WhenAll(announcers.Select((n, i) => n.AnnounceAsync(fromUs[i], 6000 + i))).Within(LookupTimeout);
        for (int i = 0; i < announcers.Length; i++)
        {
            TestContext.Out.WriteLine($"announce from {announcers[i].LocalEndPoint}: {Describe(reports[i])}");
            Assert.That(reports[i].AnnouncedTo, Has.Count.GreaterThanOrEqualTo(1), $"announce from {announcers[i].LocalEndPoint}: {Describe(reports[i])}");
            // In a swarm of 51 whose tables hold 16 to 33 nodes, the client's lookup now and then
            // converges on closest nodes beside the 8 the announce reached (it knows a closer node the
            // announcer's lookup never heard of); a torrent client then looks again, and so does this test, at most twice more.
            var expected = new IPEndPoint(announcers[i].LocalEndPoint.Address, 6000 + i);
            IReadOnlyList<IPEndPoint> peers = [];
            int attempts = 0;
            while (attempts < 3 && !peers.Contains(expected))
            {
                attempts++;
                (peers, bool timedOut) = await client.GetPeersAsync(fromUs[i], LookupTimeout);
                Assert.That(timedOut, Is.False);
            }

            TestContext.Out.WriteLine($"{kind} lookup for {fromUs[i]}: {attempts} attempt(s)");
            Assert.That(peers, Does.Contain(expected), $"{kind} lookup for {fromUs[i]}, {attempts} attempts");
        }

        Assert.That(_nodes.Sum(n => n.GetStatistics().MalformedReceived), Is.Zero, "our codec read every datagram");
        Assert.That(_nodes.Sum(n => n.GetStatistics().InternalErrors), Is.Zero);
        TestContext.Out.WriteLine($"swarm test done in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private int OursIn(IReadOnlyList<NodeInfo> table) =>
        table.Count(c => _nodes.Any(n => n.Id == c.Id && n.LocalEndPoint.Equals(c.EndPoint)));

    private string Describe(LookupReport report) =>
        $"queried {report.NodesQueried}, replies {report.Replies}, errors {report.Errors}, timeouts {report.Timeouts}, " +
        $"round trips {report.RoundTrips}, peers {report.PeersFound}, announced to {report.AnnouncedTo.Count}" +
        (report.AnnouncedTo.Any(n => n.Id == _client?.Id) ? $" (the {kind} client among them)" : "") +
        $", {report.Elapsed.TotalMilliseconds:0} ms";
}
