using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Lookups;

/// <summary>BEP 32 end to end over real UDP: our nodes on 127.x and ::1 at once, lookups over both families.</summary>
[NonParallelizable]
public sealed class DualStackSwarmTests : GuardedTest
{
    private const int SwarmSize = 16;
    private readonly List<DhtNode> _nodes = [];

    [TearDown]
    public async Task StopNodes()
    {
        await Task.WhenAll(_nodes.Select(n => n.DisposeAsync().AsTask()));
        _nodes.Clear();
    }

    private static DhtNodeOptions Options(IPEndPoint? v4, IPEndPoint? v6, IEnumerable<IPEndPoint> bootstrap) => new()
    {
        BindEndPoint = v4,
        BindEndPointV6 = v6,
        BootstrapNodes = [.. bootstrap.Select(b => b.ToString())],
        UsePublicRouters = false,
        SendPolicy = NetworkGuard.Policy,
        QueriesPerSecondPerIp = 0, // the IPv6 side of every node is ::1
        QueryTimeout = TimeSpan.FromSeconds(2),
    };

    private static IPEndPoint V4(int index) => new(new IPAddress([127, 0, 6, (byte)(index + 1)]), 0);

    private static IPEndPoint V6 => new(IPAddress.IPv6Loopback, 0);

    private async Task<DhtNode> StartAsync(DhtNodeOptions options)
    {
        DhtNode node = await DhtNode.StartAsync(options);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Both endpoints of a dual-stack node, as bootstrap nodes.</summary>
    private static IEnumerable<IPEndPoint> Both(DhtNode node) => [node.LocalEndPoint, node.LocalEndPointV6!];

    [Test]
    [CancelAfter(120_000)]
    public async Task Every_infohash_announced_in_a_dual_stack_swarm_is_found_with_peers_of_both_families()
    {
        DhtNode first = await StartAsync(Options(V4(0), V6, []));
        var swarm = new List<DhtNode> { first };
        for (int i = 1; i < SwarmSize; i++)
        {
            swarm.Add(await StartAsync(Options(V4(i), V6, Both(first).Concat(Both(swarm[^1])))));
        }

        foreach (DhtNode node in swarm.Skip(1))
        {
            await node.JoinAsync();
        }

        foreach (DhtNode node in swarm)
        {
            DhtNodeStatistics statistics = node.GetStatistics();
            Assert.That(statistics.RoutingTableSizeV4, Is.GreaterThan(0), $"{node.LocalEndPoint}: IPv4 table");
            Assert.That(statistics.RoutingTableSizeV6, Is.GreaterThan(0), $"{node.LocalEndPointV6}: IPv6 table");
        }

        var infoHashes = new List<(NodeId InfoHash, DhtNode Announcer, int Port)>();
        for (int i = 0; i < swarm.Count; i++)
        {
            NodeId infoHash = NodeId.CreateRandom(new Random(100 + i));
            LookupReport announced = await swarm[i].AnnounceAsync(infoHash, 7000 + i);
            Assert.That(announced.AnnouncedTo.Select(n => n.EndPoint.AddressFamily).Distinct(), Is.EquivalentTo(new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }), "announced to the closest of each family");
            infoHashes.Add((infoHash, swarm[i], 7000 + i));
        }

        DhtNode fresh = await StartAsync(Options(V4(SwarmSize), V6, Both(first)));
        await fresh.JoinAsync();
        foreach ((NodeId infoHash, DhtNode announcer, int port) in infoHashes)
        {
            PeerLookupResult found = await fresh.LookupPeersAsync(infoHash);
            Assert.That(found.Peers, Does.Contain(new IPEndPoint(announcer.LocalEndPoint.Address, port)), $"{infoHash}: the IPv4 peer");
            Assert.That(found.Peers, Does.Contain(new IPEndPoint(IPAddress.IPv6Loopback, port)), $"{infoHash}: the IPv6 peer");
            Assert.That(found.Report.ClosestNodes.Select(n => n.EndPoint.AddressFamily).Distinct(), Is.EquivalentTo(new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }));
        }
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Nodes_bound_to_ipv6_loopback_only_fill_their_tables_through_their_own_lookups()
    {
        DhtNode first = await StartAsync(Options(null, V6, []));
        var swarm = new List<DhtNode> { first };
        for (int i = 1; i < 12; i++)
        {
            swarm.Add(await StartAsync(Options(null, V6, [first.LocalEndPoint])));
        }

        foreach (DhtNode node in swarm.Skip(1))
        {
            await node.JoinAsync();
        }

        // The last to join learned the others from replies (nodes6): not only the node it joined through.
        IReadOnlyList<RoutingTableEntry> table = swarm[^1].GetRoutingTable();
        Assert.That(table, Has.Count.GreaterThanOrEqualTo(swarm.Count / 2));
        Assert.That(table.Select(e => e.EndPoint.AddressFamily).Distinct(), Is.EqualTo(new[] { AddressFamily.InterNetworkV6 }));
        Assert.That(swarm.Skip(1).All(n => n.GetStatistics().RoutingTableSizeV6 >= 3), Is.True, "every node knows more than the one it joined through");
    }
}
