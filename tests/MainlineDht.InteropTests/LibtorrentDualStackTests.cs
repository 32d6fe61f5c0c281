using System.Net;
using System.Net.Sockets;
using MainlineDht.InteropTests.Support;
using MainlineDht.Protocol;
using static MainlineDht.InteropTests.Support.Clients;

namespace MainlineDht.InteropTests;

/// <summary>
/// The harness runs libtorrent dual-stack, on a 127.x address and on <c>::1</c>
/// (<see cref="RealDhtClient.StartDualStackAsync"/>): one DHT node per family, each with its own
/// id and table, and every command works over IPv6. Shown between two libtorrents, so that it
/// holds whatever our own node does over IPv6.
/// </summary>
public sealed class LibtorrentDualStackTests : GuardedTest
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(20);

    [OneTimeSetUp]
    public void RequireClient() => RequireInstalled(DhtClientKind.Libtorrent);

    [Test]
    public async Task Libtorrent_runs_one_dht_node_per_family()
    {
        IPAddress v4 = LoopbackAddresses.Next();
        await using RealDhtClient client = await RealDhtClient.StartDualStackAsync(v4);

        ClientSocket ipv4 = client.Socket(AddressFamily.InterNetwork)!;
        ClientSocket ipv6 = client.Socket(AddressFamily.InterNetworkV6)!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(client.Sockets, Has.Count.EqualTo(2));
            Assert.That(ipv4.EndPoint, Is.EqualTo(client.EndPoint));
            Assert.That(ipv4.EndPoint.Address, Is.EqualTo(v4));
            Assert.That(ipv4.Id, Is.EqualTo(client.Id));
            Assert.That(ipv6.EndPoint.Address, Is.EqualTo(IPAddress.IPv6Loopback));
            Assert.That(ipv6.Id, Is.Not.EqualTo(ipv4.Id), "each family's node has its own id");
            Assert.That(await client.RoutingTableAsync(), Is.Empty);
            Assert.That(await client.RoutingTableAsync(AddressFamily.InterNetworkV6), Is.Empty);
            Assert.That(await client.BucketsAsync(AddressFamily.InterNetworkV6), Is.EqualTo(new[] { (0, 0) }));
        }
    }

    [Test]
    public async Task Two_dual_stack_libtorrents_add_announce_and_look_up_over_IPv6()
    {
        await using RealDhtClient a = await RealDhtClient.StartDualStackAsync(LoopbackAddresses.Next());
        await using RealDhtClient b = await RealDhtClient.StartDualStackAsync(LoopbackAddresses.Next());
        ClientSocket b6 = b.Socket(AddressFamily.InterNetworkV6)!;

        // add_node [::1]:port goes to a's IPv6 node, and into its IPv6 table only.
        (bool inTable, NodeId? id) = await a.AddNodeAsync(b6.EndPoint, Wait);
        Assert.That(inTable, Is.True);
        Assert.That(id, Is.EqualTo(b6.Id), "b's IPv6 node answers with its own id");
        Assert.That(await a.RoutingTableAsync(AddressFamily.InterNetworkV6), Is.EqualTo(new[] { new NodeInfo(b6.Id, b6.EndPoint) }));
        Assert.That(await a.RoutingTableAsync(AddressFamily.InterNetwork), Is.Empty);

        // a's announce reaches b over IPv6, with the port of a's IPv6 socket.
        NodeId infoHash = OurNodes.RandomInfoHash();
        AnnounceResult announce = await a.AnnounceAsync(infoHash, null, LookupTimeout);
        Assert.That(announce.Ok, Is.True, $"announce: {announce}");
        Assert.That(announce.AnnouncedTo, Does.Contain(b6.EndPoint));
        IPEndPoint peer = AnnouncedPeer(a, AddressFamily.InterNetworkV6);
        Assert.That(announce.AnnouncedPorts[AddressFamily.InterNetworkV6], Is.EqualTo(peer.Port));

        // a's lookup reads b's 18-byte values: its own IPv6 endpoint.
        (IReadOnlyList<IPEndPoint> peers, bool timedOut) = await a.GetPeersAsync(infoHash, LookupTimeout);
        Assert.That(timedOut, Is.False);
        Assert.That(peers, Is.EqualTo(new[] { peer }));
    }
}
