using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>BEP 32 over real UDP on 127.x and ::1: one engine per family, one id, the want key answered from the right table.</summary>
[NonParallelizable]
public sealed class DualStackTests : GuardedTest
{
    private readonly List<DhtNode> _nodes = [];
    private readonly List<string> _warnings = [];

    [TearDown]
    public async Task StopNodes()
    {
        foreach (DhtNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        _warnings.Clear();
    }

    private DhtNodeOptions Options(IPEndPoint? v4, IPEndPoint? v6, IReadOnlyList<string>? bootstrap = null) => new()
    {
        BindEndPoint = v4,
        BindEndPointV6 = v6,
        BootstrapNodes = bootstrap ?? [],
        SendPolicy = NetworkGuard.Policy,
        UsePublicRouters = false,
        QueriesPerSecondPerIp = 0, // every IPv6 node of a test shares ::1
        LoggerFactory = new TestLogger(_warnings.Add),
    };

    private async Task<DhtNode> StartAsync(DhtNodeOptions options)
    {
        DhtNode node = await DhtNode.StartAsync(options);
        _nodes.Add(node);
        return node;
    }

    private static IPEndPoint V6Loopback => new(IPAddress.IPv6Loopback, 0);

    [Test]
    [CancelAfter(60_000)]
    public async Task A_node_bound_to_ipv6_loopback_only_fills_its_table()
    {
        DhtNode first = await StartAsync(Options(null, V6Loopback));
        Assert.That(first.LocalEndPoint.AddressFamily, Is.EqualTo(AddressFamily.InterNetworkV6), "LocalEndPoint is the IPv6 one when IPv4 is off");
        Assert.That(first.LocalEndPointV6, Is.EqualTo(first.LocalEndPoint));
        var others = new List<DhtNode>();
        for (int i = 0; i < 7; i++)
        {
            others.Add(await StartAsync(Options(null, V6Loopback, [$"[::1]:{first.LocalEndPoint.Port}"])));
        }

        foreach (DhtNode node in others)
        {
            await node.JoinAsync();
        }

        // Before engines per family, a node on ::1 answered but kept an IPv4 table that no IPv6 node could enter.
        await WaitUntilAsync(() => first.GetRoutingTable().Count == others.Count);
        IReadOnlyList<RoutingTableEntry> table = first.GetRoutingTable();
        Assert.That(table.Select(e => e.Id), Is.EquivalentTo(others.Select(n => n.Id)), "every node that joined through it");
        Assert.That(table.Select(e => e.EndPoint.AddressFamily).Distinct(), Is.EqualTo(new[] { AddressFamily.InterNetworkV6 }));
        DhtNodeStatistics statistics = first.GetStatistics();
        Assert.That((statistics.RoutingTableSizeV6, statistics.RoutingTableSizeV4, statistics.RoutingTableSize), Is.EqualTo((others.Count, 0, others.Count)));
        foreach (DhtNode node in others)
        {
            Assert.That(node.GetRoutingTable().Select(e => e.Id), Does.Contain(first.Id), $"{node.LocalEndPoint} keeps the node it joined through");
        }
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Want_n6_over_ipv4_is_answered_from_the_ipv6_table()
    {
        DhtNode node = await StartAsync(Options(new IPEndPoint(IPAddress.Loopback, 0), V6Loopback));
        Assert.That(node.LocalEndPoint.AddressFamily, Is.EqualTo(AddressFamily.InterNetwork));
        Assert.That(node.LocalEndPointV6!.AddressFamily, Is.EqualTo(AddressFamily.InterNetworkV6));
        DhtNode v6Peer = await StartAsync(Options(null, V6Loopback));

        // The peer queries the node over IPv6; the node verifies it and keeps it in its IPv6 table.
        Assert.That((await v6Peer.PingAsync(node.LocalEndPointV6)).Status, Is.EqualTo(RpcStatus.Response));
        await WaitUntilAsync(() => node.GetStatistics().RoutingTableSizeV6 == 1);
        Assert.That(node.GetStatistics().RoutingTableSizeV4, Is.Zero);

        using var client = new RawKrpcClient();
        string query = "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz1234564:wantl2:n42:n6ee1:q9:find_node1:t2:aa1:y1:qe";
        var reply = (KrpcResponse)client.Exchange(Latin1(query), node.LocalEndPoint);
        string expected6 = Text(v6Peer.Id.ToArray()) + Text(CompactFormat.ToCompactPeer(v6Peer.LocalEndPoint));
        Assert.That(Text(reply.Nodes6.Span), Is.EqualTo(expected6), "nodes6 from the IPv6 table, over IPv4");
        Assert.That(reply.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes | KrpcResponseKeys.Nodes6), "both keys, nodes empty");
        Assert.That(reply.Nodes.IsEmpty, Is.True);

        // The same question over IPv6 without want: the querier's family.
        using var client6 = new RawKrpcClient(IPAddress.IPv6Loopback);
        var reply6 = (KrpcResponse)client6.Exchange(Latin1("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:bb1:y1:qe"), node.LocalEndPointV6);
        Assert.That(Text(reply6.Nodes6.Span), Is.EqualTo(expected6));
        Assert.That(reply6.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes6));
        Assert.That(reply6.GetExternalEndPoint(), Is.EqualTo(client6.LocalEndPoint), "the BEP 42 ip is the IPv6 requester's");
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_dual_stack_node_has_one_id_and_saves_both_tables()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mainline-dht-dual-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            string stateFile = Path.Combine(directory, "state.json");
            DhtNode node = await StartAsync(Options(new IPEndPoint(IPAddress.Loopback, 0), V6Loopback) with { StateFile = stateFile });
            DhtNode v4Peer = await StartAsync(Options(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0), null));
            DhtNode v6Peer = await StartAsync(Options(null, V6Loopback));
            Assert.That((await v4Peer.PingAsync(node.LocalEndPoint)).Response!.Id, Is.EqualTo(node.Id));
            Assert.That((await v6Peer.PingAsync(node.LocalEndPointV6!)).Response!.Id, Is.EqualTo(node.Id), "one id on both families");
            await WaitUntilAsync(() => node.GetRoutingTable().Count == 2);

            Assert.That(node.SaveState(), Is.True);
            Assert.That(DhtNodeState.TryLoad(stateFile, out DhtNodeState? state, out _), Is.True);
            Assert.That(state!.Nodes.Select(n => n.Id), Is.EqualTo(new[] { v4Peer.Id }));
            Assert.That(state.Nodes6.Select(n => n.Id), Is.EqualTo(new[] { v6Peer.Id }));
            Assert.That(node.GetRoutingTable().Select(e => e.EndPoint.AddressFamily), Is.EquivalentTo(new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }));
        }
        finally
        {
            await StopNodes();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task A_query_to_a_family_the_node_does_not_run_is_not_sent()
    {
        DhtNode node = await StartAsync(Options(new IPEndPoint(IPAddress.Loopback, 0), null));
        Assert.That(node.LocalEndPointV6, Is.Null);
        RpcResult result = await node.PingAsync(new IPEndPoint(IPAddress.IPv6Loopback, 6881));
        Assert.That(result.Status, Is.EqualTo(RpcStatus.NotSent));
    }

    [Test]
    public async Task Without_ipv6_a_node_asked_for_both_families_runs_ipv4_and_warns_once()
    {
        IDatagramTransport Bind(IPEndPoint endPoint, SendPolicy policy) =>
            endPoint.AddressFamily == AddressFamily.InterNetworkV6
                ? throw new SocketException((int)SocketError.AddressFamilyNotSupported)
                : UdpTransport.Bind(endPoint, policy);

        DhtNode node = await DhtNode.BindAndStartAsync(Options(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Any, 0)), Bind, CancellationToken.None);
        _nodes.Add(node);
        Assert.That(node.LocalEndPoint.AddressFamily, Is.EqualTo(AddressFamily.InterNetwork));
        Assert.That(node.LocalEndPointV6, Is.Null);
        Assert.That(_warnings, Has.Count.EqualTo(1));
        Assert.That(_warnings[0], Does.Contain("IPv6 is not available").And.Contain("IPv4 only"));

        using var client = new RawKrpcClient();
        Assert.That(client.Exchange(Latin1("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe"), node.LocalEndPoint), Is.InstanceOf<KrpcResponse>());

        Assert.That(
            async () => await DhtNode.BindAndStartAsync(Options(null, new IPEndPoint(IPAddress.IPv6Any, 0)), Bind, CancellationToken.None),
            Throws.InstanceOf<SocketException>(),
            "an IPv6-only node has nothing to fall back on");
    }

    [Test]
    public async Task A_bootstrap_name_resolving_to_both_families_seeds_each_engine_with_its_own()
    {
        await using var network = new VirtualNetwork();
        var v4 = new IPEndPoint(IPAddress.Parse("127.0.0.2"), VirtualNetwork.Port);
        var v6 = new IPEndPoint(IPAddress.IPv6Loopback, VirtualNetwork.Port);
        DhtNode router = network.StartNode(v4.Address, seed: 1, configure: o => o with { BindEndPointV6 = v6 });
        Assert.That((router.LocalEndPoint, router.LocalEndPointV6), Is.EqualTo((v4, v6)), "a dual-stack node on the in-memory network");

        var asked = new List<string>();
        DhtNode joiner = network.StartNode("127.0.0.3", seed: 2, configure: o => o with
        {
            BindEndPointV6 = new IPEndPoint(IPAddress.IPv6Loopback, VirtualNetwork.Port + 1),
            BootstrapNodes = [$"router.test:{VirtualNetwork.Port}"],
            ResolveHost = (name, _) =>
            {
                asked.Add(name);
                return Task.FromResult(new[] { v4.Address, v6.Address });
            },
        });
        network.Run(joiner.JoinAsync());

        Assert.That(asked, Does.Contain("router.test"));
        IReadOnlyList<RoutingTableEntry> table = joiner.GetRoutingTable();
        Assert.That(table.Where(e => e.Id == router.Id).Select(e => e.EndPoint), Is.EquivalentTo(new[] { v4, v6 }), "each address went to the engine of its family");
        Assert.That(router.GetRoutingTable().Select(e => e.EndPoint.AddressFamily), Is.EquivalentTo(new[] { AddressFamily.InterNetwork, AddressFamily.InterNetworkV6 }));
    }

    [Test]
    public void The_options_need_one_family_and_each_endpoint_of_its_family()
    {
        Assert.That(() => Options(null, null).Validate(), Throws.ArgumentException.With.Message.Contains("BindEndPointV6"));
        Assert.That(() => Options(null, new IPEndPoint(IPAddress.Loopback, 0)).Validate(), Throws.ArgumentException.With.Message.Contains("IPv6"));
        Assert.That(() => Options(V6Loopback, V6Loopback).Validate(), Throws.ArgumentException.With.Message.Contains("IPv4"));
        Assert.That(() => Options(V6Loopback, null).Validate(), Throws.Nothing, "an IPv6 BindEndPoint alone runs IPv6 only, as before");
        Assert.That(new DhtNodeOptions().BindEndPointV6, Is.Null, "IPv6 is off unless asked for");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.That(elapsed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the condition never held");
            await Task.Delay(20);
        }
    }
}
