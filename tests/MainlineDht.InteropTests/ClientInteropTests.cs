using System.Net;
using System.Net.Sockets;
using MainlineDht.InteropTests.Support;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// Our node and one real client (libtorrent, then bittorrent-dht), both ways: the client's
/// queries to us, ours to it, and peers announced on one side found from the other. The fixture
/// starts the client once; every test starts its own nodes, each on its own 127.0.x.y address,
/// and they all live until the fixture ends (a dead node in the client's table would stall its
/// lookups on timeouts). Because the client's table keeps growing from test to test, the ids
/// and infohashes a test depends on are chosen near each other (<see cref="OurNodes.Near"/>):
/// a lookup reaches the nodes the test means whatever else the client knows.
/// </summary>
[TestFixtureSource(typeof(Clients), nameof(Clients.All))]
public sealed class ClientInteropTests(DhtClientKind kind) : GuardedTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(20);

    private readonly List<DhtNode> _nodes = [];
    private readonly Random _random = new(kind == DhtClientKind.Libtorrent ? 1 : 2);
    private RealDhtClient? _client;

    private RealDhtClient Client => _client ?? throw new InvalidOperationException($"{kind} did not start.");

    [OneTimeSetUp]
    public async Task StartClient()
    {
        RequireInstalled(kind);
        _client = await RealDhtClient.StartAsync(kind, LoopbackAddresses.Next());
        await TestContext.Progress.WriteLineAsync($"{_client.Client} on {_client.EndPoint}, id {_client.Id}");
    }

    [TearDown]
    public async Task ShowClientLogOnFailure()
    {
        if (_client is not null && TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            await TestContext.Out.WriteLineAsync($"--- {kind} harness stderr (last lines) ---\n{_client.StderrTail}");
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
    public async Task Client_adds_our_node_to_its_routing_table_and_keeps_it()
    {
        RealDhtClient client = Client;
        DhtNode ours = await StartNodeAsync();

        (bool inTable, NodeId? id) = await client.AddNodeAsync(ours.LocalEndPoint, Wait);
        Assert.That(inTable, Is.True, $"{kind} did not take our node into its routing table");
        Assert.That(id, Is.EqualTo(ours.Id), "the id the client keeps for our node");

        // libtorrent contacts a new node with get_peers, bittorrent-dht with ping: we answered it.
        string contact = kind == DhtClientKind.Libtorrent ? "get_peers" : "ping";
        Assert.That(ours.GetStatistics().QueriesReceived.GetValueOrDefault(contact), Is.GreaterThanOrEqualTo(1));

        // Still there after the client has used it for a lookup.
        (_, bool timedOut) = await client.GetPeersAsync(OurNodes.RandomInfoHash(), LookupTimeout);
        Assert.That(timedOut, Is.False);
        IReadOnlyList<NodeInfo> table = await client.RoutingTableAsync();
        Assert.That(table.Find(ours), Is.Not.Null, $"{kind}'s routing table: {string.Join(", ", table)}");

        // And the client is in ours: we verify a new querier with a ping before adding it.
        Assert.That(await UntilAsync(() => ours.GetRoutingTable().Any(e => e.Id == client.Id && e.EndPoint.Equals(client.EndPoint)), Wait),
            Is.True, "our node did not add the client that queried it");
        AssertNoErrorsSent(ours);
    }

    [Test]
    public async Task Our_node_answers_the_clients_get_peers_and_announce_peer()
    {
        RealDhtClient client = Client;
        DhtNode ours = await StartNodeAsync();
        DhtNode observer = await StartNodeAsync();
        NodeId infoHash = OurNodes.Near(ours.Id, _random); // ours is the closest node the client knows
        Assert.That((await client.AddNodeAsync(ours.LocalEndPoint, Wait)).InTable, Is.True);

        (IReadOnlyList<IPEndPoint> before, bool timedOut) = await client.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(timedOut, Is.False);
        Assert.That(before, Is.Empty);
        Assert.That(ours.GetStatistics().QueriesReceived.GetValueOrDefault("get_peers"), Is.GreaterThanOrEqualTo(1));

        AnnounceResult announce = await client.AnnounceAsync(infoHash, PortToAnnounce(client), LookupTimeout);
        Assert.That(announce.Ok, Is.True, $"{kind} announce: {announce}");
        Assert.That(announce.SentTo, Is.GreaterThanOrEqualTo(1));
        IPEndPoint peer = AnnouncedPeer(client, announce);

        // The client's announce_peer carried the token we gave it: accepted and stored.
        Assert.That(await UntilAsync(() => ours.GetStatistics().AnnouncesAccepted >= 1, Wait), Is.True,
            $"our node accepted no announce_peer; errors sent: {Errors(ours)}");
        RpcResult stored = await observer.SendQueryAsync(new GetPeersQuery { Id = observer.Id, InfoHash = infoHash }, ours.LocalEndPoint);
        Assert.That(stored.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(stored.Response!.Values.ToEndPoints(), Does.Contain(peer));

        // The client reads the values in our get_peers reply.
        (IReadOnlyList<IPEndPoint> after, _) = await client.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(after, Does.Contain(peer));
        AssertNoErrorsSent(ours);
    }

    [Test]
    public async Task Client_follows_the_nodes_in_our_replies()
    {
        // The client is told only of `entry`; `entry` knows `holder`, which stores a peer. The
        // client can find the peer only by reading the compact nodes in entry's get_peers reply.
        // Ids: entry shares 100 bits with the infohash, holder 150, every other node about none,
        // so the client's lookup asks entry first and then follows entry's reply to holder.
        RealDhtClient client = Client;
        NodeId infoHash = OurNodes.RandomInfoHash();
        DhtNode entry = await StartNodeAsync(OurNodes.Near(infoHash, _random, 100));
        DhtNode holder = await StartNodeAsync(OurNodes.Near(infoHash, _random, 150));
        DhtNode announcer = await StartNodeAsync();

        Assert.That((await entry.PingAsync(holder.LocalEndPoint)).Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(await UntilAsync(() => entry.GetRoutingTable().Any(e => e.Id == holder.Id), Wait), Is.True);
        RpcResult token = await announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, holder.LocalEndPoint);
        RpcResult announced = await announcer.SendQueryAsync(
            new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 7777, Token = token.Response!.Token.ToArray() }, holder.LocalEndPoint);
        Assert.That(announced.Status, Is.EqualTo(RpcStatus.Response));
        var peer = new IPEndPoint(announcer.LocalEndPoint.Address, 7777);

        Assert.That((await client.AddNodeAsync(entry.LocalEndPoint, Wait)).InTable, Is.True);
        (IReadOnlyList<IPEndPoint> peers, bool timedOut) = await client.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(timedOut, Is.False);
        Assert.That(peers, Does.Contain(peer), $"{kind} did not reach the holder through our node's 'nodes'");
        Assert.That(holder.GetStatistics().QueriesReceived.GetValueOrDefault("get_peers"), Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task Client_answers_our_queries_and_our_codec_reads_every_reply()
    {
        RealDhtClient client = Client;
        DhtNode ours = await StartNodeAsync();
        DhtNode known = await StartNodeAsync();
        NodeId infoHash = OurNodes.Near(known.Id, _random); // known is among the K closest the client returns
        Assert.That((await client.AddNodeAsync(known.LocalEndPoint, Wait)).InTable, Is.True);
        var knownInfo = new NodeInfo(known.Id, known.LocalEndPoint);

        // ping
        RpcResult ping = await ours.PingAsync(client.EndPoint);
        Assert.That(ping.Status, Is.EqualTo(RpcStatus.Response), $"ping: {ping.Status} {ping.Error?.MessageText}");
        KrpcResponse pong = ping.Response!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(pong.Id, Is.EqualTo(client.Id));
            if (kind == DhtClientKind.Libtorrent)
            {
                Assert.That(pong.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
                Assert.That(pong.GetExternalEndPoint(), Is.EqualTo(ours.LocalEndPoint), "BEP 42 ip");
            }
            else
            {
                Assert.That(pong.Version.IsEmpty, Is.True);
                Assert.That(pong.ExternalAddress.IsEmpty, Is.True);
            }
        }

        // find_node: compact nodes, among them the node the client knows.
        RpcResult findNode = await ours.SendQueryAsync(new FindNodeQuery { Id = ours.Id, Target = known.Id }, client.EndPoint);
        Assert.That(findNode.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(findNode.Response!.Nodes.Length % CompactFormat.NodeV4Size, Is.Zero);
        Assert.That(ReadNodes(findNode.Response), Does.Contain(knownInfo));

        // get_peers: a token of the client's own length, nodes, no values yet.
        RpcResult getPeers = await ours.SendQueryAsync(new GetPeersQuery { Id = ours.Id, InfoHash = infoHash }, client.EndPoint);
        Assert.That(getPeers.Status, Is.EqualTo(RpcStatus.Response));
        KrpcResponse first = getPeers.Response!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Token.Length, Is.EqualTo(TokenLength(kind)));
            Assert.That(first.Values.IsEmpty, Is.True);
            Assert.That(ReadNodes(first), Does.Contain(knownInfo));
        }

        // announce_peer with its token: accepted, once with a port and once with implied_port.
        byte[] token = first.Token.ToArray();
        RpcResult announce = await ours.SendQueryAsync(new AnnouncePeerQuery { Id = ours.Id, InfoHash = infoHash, Port = 6881, Token = token }, client.EndPoint);
        Assert.That(announce.Status, Is.EqualTo(RpcStatus.Response), $"announce_peer: {announce.Error?.Code} {announce.Error?.MessageText}");
        Assert.That(announce.Response!.Id, Is.EqualTo(client.Id));
        RpcResult implied = await ours.SendQueryAsync(
            new AnnouncePeerQuery { Id = ours.Id, InfoHash = infoHash, Port = 1, ImpliedPort = true, Token = token }, client.EndPoint);
        Assert.That(implied.Status, Is.EqualTo(RpcStatus.Response), $"announce_peer implied_port: {implied.Error?.Code} {implied.Error?.MessageText}");

        // get_peers again: both announces stored, as values.
        RpcResult again = await ours.SendQueryAsync(new GetPeersQuery { Id = ours.Id, InfoHash = infoHash }, client.EndPoint);
        Assert.That(again.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(again.Response!.Values.ToEndPoints(), Is.SupersetOf(new[]
        {
            new IPEndPoint(ours.LocalEndPoint.Address, 6881),
            ours.LocalEndPoint,
        }));

        // A bad token is a KRPC error 203 (libtorrent's also carries an r dictionary).
        RpcResult badToken = await ours.SendQueryAsync(
            new AnnouncePeerQuery { Id = ours.Id, InfoHash = infoHash, Port = 6881, Token = "bad!"u8.ToArray() }, client.EndPoint);
        Assert.That(badToken.Status, Is.EqualTo(RpcStatus.Error));
        Assert.That(badToken.Error!.Code, Is.EqualTo(203));

        if (kind == DhtClientKind.Libtorrent)
        {
            // BEP 51, which bittorrent-dht does not have; and libtorrent's ip votes for our address.
            RpcResult samples = await ours.SendQueryAsync(new SampleInfohashesQuery { Id = ours.Id, Target = infoHash }, client.EndPoint);
            Assert.That(samples.Status, Is.EqualTo(RpcStatus.Response));
            // The client's store also holds what earlier tests announced to it.
            byte[] sampled = samples.Response!.Samples.ToArray();
            Assert.That(sampled.Length % NodeId.Size, Is.Zero);
            Assert.That(sampled.Chunk(NodeId.Size).Select(c => new NodeId(c)), Does.Contain(infoHash));
            Assert.That(samples.Response.Num, Is.GreaterThanOrEqualTo(1));
            Assert.That(ours.ExternalAddress, Is.EqualTo(ours.LocalEndPoint.Address));
        }

        DhtNodeStatistics stats = ours.GetStatistics();
        Assert.That(stats.UnmatchedReplies, Is.Zero, "every reply the client sent matched one of our queries");
        Assert.That(stats.MalformedReceived, Is.Zero, "our codec read every datagram the client sent");
    }

    [Test]
    public async Task A_peer_the_client_announces_is_found_by_our_lookup()
    {
        RealDhtClient client = Client;
        DhtNode entry = await StartNodeAsync();
        Assert.That((await client.AddNodeAsync(entry.LocalEndPoint, Wait)).InTable, Is.True);
        DhtNode seeker = await StartNodeAsync(entry.LocalEndPoint);
        await seeker.JoinAsync().Within(LookupTimeout);
        NodeId infoHash = OurNodes.Near(entry.Id, _random); // the client announces to entry, the closest node it knows

        AnnounceResult announce = await client.AnnounceAsync(infoHash, PortToAnnounce(client), LookupTimeout);
        Assert.That(announce.Ok, Is.True, $"{kind} announce: {announce}");
        IPEndPoint peer = AnnouncedPeer(client, announce);
        Assert.That(await UntilAsync(() => entry.GetStatistics().AnnouncesAccepted >= 1, Wait), Is.True, $"entry accepted no announce_peer; errors sent: {Errors(entry)}");

        PeerLookupResult found = await seeker.LookupPeersAsync(infoHash).Within(LookupTimeout);
        Assert.That(found.Peers, Does.Contain(peer), $"lookup: {found.Report}");
    }

    [Test]
    public async Task A_peer_we_announce_is_found_by_the_clients_lookup()
    {
        // libtorrent's get_peers reports peers from other nodes' replies only (not its own
        // store), so a second node of ours holds the announce too; the client knows it. The
        // infohash and holder's id share 100 bits with the client's id: both are among the K
        // closest nodes our announce goes to.
        RealDhtClient client = Client;
        NodeId infoHash = OurNodes.Near(client.Id, _random, 100);
        DhtNode holder = await StartNodeAsync(OurNodes.Near(client.Id, _random, 100));
        Assert.That((await client.AddNodeAsync(holder.LocalEndPoint, Wait)).InTable, Is.True);
        DhtNode announcer = await StartNodeAsync(holder.LocalEndPoint, client.EndPoint);
        await announcer.JoinAsync().Within(LookupTimeout);

        LookupReport report = await announcer.AnnounceAsync(infoHash, 5555).Within(LookupTimeout);
        Assert.That(report.AnnouncedTo.Select(n => n.Id), Does.Contain(client.Id), $"{kind} did not accept our announce_peer: {report}");
        Assert.That(report.AnnouncedTo.Select(n => n.Id), Does.Contain(holder.Id));

        var peer = new IPEndPoint(announcer.LocalEndPoint.Address, 5555);
        (IReadOnlyList<IPEndPoint> peers, bool timedOut) = await client.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(timedOut, Is.False);
        Assert.That(peers, Does.Contain(peer));
    }

    [Test]
    public async Task A_peer_we_announce_with_implied_port_is_stored_under_our_udp_port()
    {
        RealDhtClient client = Client;
        DhtNode announcer = await StartNodeAsync(client.EndPoint);
        await announcer.JoinAsync().Within(LookupTimeout);
        NodeId infoHash = OurNodes.Near(client.Id, _random); // the client is among the K closest

        LookupReport report = await announcer.AnnounceAsync(infoHash, 0, impliedPort: true).Within(LookupTimeout);
        Assert.That(report.AnnouncedTo.Select(n => n.Id), Does.Contain(client.Id), $"{kind} did not accept our implied_port announce_peer: {report}");

        RpcResult stored = await announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, client.EndPoint);
        Assert.That(stored.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(stored.Response!.Values.ToEndPoints(), Does.Contain(announcer.LocalEndPoint));
    }

    private Task<DhtNode> StartNodeAsync(params IPEndPoint[] bootstrap) => StartNodeAsync(null, bootstrap);

    private async Task<DhtNode> StartNodeAsync(NodeId? id, params IPEndPoint[] bootstrap)
    {
        DhtNode node = await OurNodes.StartAsync(LoopbackAddresses.Next(), id, bootstrap);
        _nodes.Add(node);
        return node;
    }

    private static List<NodeInfo> ReadNodes(KrpcResponse response) => CompactFormat.ReadNodes(response.Nodes.Span, AddressFamily.InterNetwork);

    private static string Errors(DhtNode node) => string.Join(", ", node.GetStatistics().ErrorsSent.Select(e => $"{e.Key}: {e.Value}"));

    private static void AssertNoErrorsSent(DhtNode node)
    {
        DhtNodeStatistics stats = node.GetStatistics();
        Assert.That(stats.ErrorsSent, Is.Empty, "our node answered the client with errors: " + Errors(node));
        Assert.That(stats.MalformedReceived, Is.Zero, "our codec failed to read a datagram from the client");
        Assert.That(stats.InternalErrors, Is.Zero);
    }
}
