using System.Net;
using System.Net.Sockets;
using MainlineDht.InteropTests.Support;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// Our node and libtorrent 2.0.8 over IPv6 (BEP 32), both dual-stack on a 127.x address and
/// <c>::1</c>. libtorrent runs a second DHT node on its <c>::1</c> socket with an id of its own
/// (<c>c6</c> below); it never sends <c>want</c>, reads only <c>nodes6</c> in a reply over IPv6, and
/// its IPv6 lookups and announces reach only the nodes of its IPv6 table. Every IPv6 node, ours and
/// its, shares <c>::1</c>: our nodes' per-IP rate limit is off (<see cref="OurNodes.StartDualStackAsync"/>)
/// and the harness raises libtorrent's. As in <see cref="ClientInteropTests"/>, one client serves the
/// whole fixture and its table grows from test to test, so ids and infohashes are chosen near each other.
/// </summary>
public sealed class LibtorrentIPv6InteropTests : GuardedTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(20);

    private readonly List<DhtNode> _nodes = [];
    private readonly Random _random = new(6);
    private RealDhtClient? _client;

    private RealDhtClient Client => _client ?? throw new InvalidOperationException("libtorrent did not start.");

    /// <summary>libtorrent's IPv6 node: its <c>[::1]:port</c> and its own id.</summary>
    private ClientSocket C6 => Client.Socket(AddressFamily.InterNetworkV6)!;

    [OneTimeSetUp]
    public async Task StartClient()
    {
        RequireInstalled(DhtClientKind.Libtorrent);
        _client = await RealDhtClient.StartDualStackAsync(LoopbackAddresses.Next());
        await TestContext.Progress.WriteLineAsync($"{_client.Client} on {_client.EndPoint} (id {_client.Id}) and {C6.EndPoint} (id {C6.Id})");
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
    public async Task Our_node_answers_libtorrents_IPv6_queries_and_each_keeps_the_other_in_its_IPv6_table()
    {
        RealDhtClient client = Client;
        ClientSocket c6 = C6;
        DhtNode ours = await StartNodeAsync();
        IPEndPoint ours6 = ours.LocalEndPointV6!;

        // add_node [::1]:port goes to libtorrent's IPv6 node: a get_peers over IPv6, which we answer.
        (bool inTable, NodeId? id) = await client.AddNodeAsync(ours6, Wait);
        Assert.That(inTable, Is.True, "libtorrent did not take our IPv6 endpoint into its IPv6 table");
        Assert.That(id, Is.EqualTo(ours.Id), "one id for both of our families");
        Assert.That(ours.GetStatistics().QueriesReceived.GetValueOrDefault("get_peers"), Is.GreaterThanOrEqualTo(1));

        // We verified the querier with a ping over IPv6 and keep libtorrent's IPv6 node, under its IPv6 id.
        Assert.That(await UntilAsync(() => ours.GetRoutingTable().Any(e => e.Id == c6.Id && e.EndPoint.Equals(c6.EndPoint)), Wait),
            Is.True, "our node did not add libtorrent's IPv6 node that queried it");
        Assert.That(ours.GetStatistics().RoutingTableSizeV4, Is.Zero, "nothing came over IPv4");

        // Still in libtorrent's IPv6 table after it used it for an IPv6 lookup, and not in its IPv4 one.
        (_, bool timedOut) = await client.GetPeersAsync(OurNodes.RandomInfoHash(), LookupTimeout);
        Assert.That(timedOut, Is.False);
        IReadOnlyList<NodeInfo> table6 = await client.RoutingTableAsync(AddressFamily.InterNetworkV6);
        Assert.That(table6, Does.Contain(new NodeInfo(ours.Id, ours6)), $"libtorrent's IPv6 table: {string.Join(", ", table6)}");
        Assert.That((await client.RoutingTableAsync(AddressFamily.InterNetwork)).Select(n => n.Id), Does.Not.Contain(ours.Id));

        // And its IPv6 node answers ours: its own id, BEP 42 ip = our [::1]:port in 18 bytes.
        RpcResult ping = await ours.PingAsync(c6.EndPoint);
        Assert.That(ping.Status, Is.EqualTo(RpcStatus.Response));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ping.Response!.Id, Is.EqualTo(c6.Id));
            Assert.That(ping.Response.GetExternalEndPoint(), Is.EqualTo(ours6));
            Assert.That(ping.Response.Version.ToArray(), Is.EqualTo(LibtorrentVersion));
        }

        AssertNoErrors(ours);
    }

    [Test]
    public async Task Libtorrent_follows_the_nodes6_of_our_replies_over_IPv6()
    {
        // libtorrent is told only of entry's IPv6 endpoint; entry knows holder over IPv6, and holder
        // stores a peer. libtorrent ignores `nodes` in a reply over IPv6 and never sends `want`: it
        // reaches holder only if entry's reply carries nodes6 by default (BEP 32: the querier's family).
        RealDhtClient client = Client;
        NodeId infoHash = OurNodes.RandomInfoHash();
        DhtNode entry = await StartNodeAsync(OurNodes.Near(infoHash, _random, 100));
        DhtNode holder = await StartNodeAsync(OurNodes.Near(infoHash, _random, 150));
        DhtNode announcer = await StartNodeAsync();

        Assert.That((await entry.PingAsync(holder.LocalEndPointV6!)).Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(await UntilAsync(() => entry.GetRoutingTable().Any(e => e.Id == holder.Id && e.EndPoint.Equals(holder.LocalEndPointV6)), Wait), Is.True);
        RpcResult token = await announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, holder.LocalEndPointV6!);
        RpcResult announced = await announcer.SendQueryAsync(
            new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 7777, Token = token.Response!.Token.ToArray() }, holder.LocalEndPointV6!);
        Assert.That(announced.Status, Is.EqualTo(RpcStatus.Response));
        var peer = new IPEndPoint(IPAddress.IPv6Loopback, 7777);

        Assert.That((await client.AddNodeAsync(entry.LocalEndPointV6!, Wait)).InTable, Is.True);
        (IReadOnlyList<IPEndPoint> peers, bool timedOut) = await client.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(timedOut, Is.False);
        Assert.That(peers, Does.Contain(peer), "libtorrent did not reach the holder through entry's nodes6");
        Assert.That(holder.GetStatistics().QueriesReceived.GetValueOrDefault("get_peers"), Is.GreaterThanOrEqualTo(2));
        AssertNoErrors(entry);
        AssertNoErrors(holder);
    }

    [Test]
    public async Task A_peer_libtorrent_announces_over_IPv6_is_found_by_our_lookup()
    {
        RealDhtClient client = Client;
        DhtNode entry = await StartNodeAsync();
        Assert.That((await client.AddNodeAsync(entry.LocalEndPointV6!, Wait)).InTable, Is.True);
        DhtNode seeker = await StartNodeAsync(null, entry.LocalEndPointV6!);
        await seeker.JoinAsync().Within(LookupTimeout);
        NodeId infoHash = OurNodes.Near(entry.Id, _random); // libtorrent's IPv6 announce goes to entry, the closest it knows

        AnnounceResult announce = await client.AnnounceAsync(infoHash, null, LookupTimeout);
        Assert.That(announce.Ok, Is.True, $"announce: {announce}");
        Assert.That(announce.AnnouncedTo, Does.Contain(entry.LocalEndPointV6));
        IPEndPoint peer = AnnouncedPeer(client, AddressFamily.InterNetworkV6);
        Assert.That(announce.AnnouncedPorts[AddressFamily.InterNetworkV6], Is.EqualTo(peer.Port));
        Assert.That(await UntilAsync(() => entry.GetStatistics().AnnouncesAccepted >= 1, Wait), Is.True,
            $"entry accepted no announce_peer; errors sent: {Errors(entry)}");

        PeerLookupResult found = await seeker.LookupPeersAsync(infoHash).Within(LookupTimeout);
        Assert.That(found.Peers, Does.Contain(peer), $"lookup: {found.Report}");
        AssertNoErrors(entry);
    }

    [Test]
    public async Task A_peer_we_announce_over_IPv6_is_found_by_libtorrents_lookup()
    {
        // libtorrent's get_peers reports peers from other nodes' replies only (not its own store), so a
        // second node of ours holds the announce too; libtorrent's IPv6 node knows it. The infohash and
        // holder's id share 100 bits with libtorrent's IPv6 id: both are among the K closest we announce to.
        RealDhtClient client = Client;
        ClientSocket c6 = C6;
        NodeId infoHash = OurNodes.Near(c6.Id, _random, 100);
        DhtNode holder = await StartNodeAsync(OurNodes.Near(c6.Id, _random, 100));
        Assert.That((await client.AddNodeAsync(holder.LocalEndPointV6!, Wait)).InTable, Is.True);
        DhtNode announcer = await StartNodeAsync(null, holder.LocalEndPointV6!, c6.EndPoint);
        await announcer.JoinAsync().Within(LookupTimeout);

        LookupReport report = await announcer.AnnounceAsync(infoHash, 5555).Within(LookupTimeout);
        Assert.That(report.AnnouncedTo, Does.Contain(new NodeInfo(c6.Id, c6.EndPoint)), $"libtorrent's IPv6 node did not accept our announce_peer: {report}");
        Assert.That(report.AnnouncedTo, Does.Contain(new NodeInfo(holder.Id, holder.LocalEndPointV6!)));

        var peer = new IPEndPoint(IPAddress.IPv6Loopback, 5555);
        (IReadOnlyList<IPEndPoint> peers, bool timedOut) = await client.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(timedOut, Is.False);
        Assert.That(peers, Does.Contain(peer));
    }

    /// <summary>Starts one of our dual-stack nodes on a fresh 127.0.x.y and on [::1].</summary>
    private async Task<DhtNode> StartNodeAsync(NodeId? id = null, params IPEndPoint[] bootstrap)
    {
        DhtNode node = await OurNodes.StartDualStackAsync(LoopbackAddresses.Next(), id, bootstrap);
        _nodes.Add(node);
        return node;
    }

    private static string Errors(DhtNode node) => string.Join(", ", node.GetStatistics().ErrorsSent.Select(e => $"{e.Key}: {e.Value}"));

    private static void AssertNoErrors(DhtNode node)
    {
        DhtNodeStatistics stats = node.GetStatistics();
        Assert.That(stats.ErrorsSent, Is.Empty, "our node answered libtorrent with errors: " + Errors(node));
        Assert.That(stats.MalformedReceived, Is.Zero, "our codec failed to read a datagram from libtorrent");
        Assert.That(stats.UnmatchedReplies, Is.Zero);
        Assert.That(stats.InternalErrors, Is.Zero);
    }
}
