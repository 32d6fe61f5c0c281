using System.Net;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Node;

/// <summary>
/// Junk in replies (libtorrent #6992: <c>0.0.0.0/8</c> in <c>nodes</c>): nodes named with port 0,
/// unusable addresses, our own id or endpoint, or addresses of a network we are not on, are not
/// followed, and each is counted.
/// </summary>
public sealed class JunkNodeTests
{
    private static readonly NodeId Self = NodeId.Parse("00000000000000000000000000000000000000aa");
    private static readonly NodeId Other = NodeId.Parse("1111111111111111111111111111111111111111");
    private static readonly IPEndPoint PublicLocal = IPEndPoint.Parse("11.0.0.1:6881");
    private static readonly IPEndPoint PublicNamer = IPEndPoint.Parse("12.0.0.1:6881");

    private static IgnoredNodeReason? Judge(string named, IPEndPoint? local = null, IPEndPoint? namedBy = null, string? external = null, NodeId? id = null, bool enforce = false) =>
        ReplyNodeFilter.Judge(id ?? Other, IPEndPoint.Parse(named), namedBy ?? PublicNamer, Self, local ?? PublicLocal, external is null ? null : IPAddress.Parse(external), enforce);

    [TestCase("13.0.0.1:0", "PortZero")]
    [TestCase("0.0.0.0:6881", "Unspecified")]
    [TestCase("0.1.2.3:6881", "Unspecified")]
    [TestCase("255.255.255.255:6881", "Broadcast")]
    [TestCase("224.0.0.1:6881", "Multicast")]
    [TestCase("239.255.255.250:1900", "Multicast")]
    [TestCase("240.0.0.1:6881", "Reserved")]
    [TestCase("[::]:6881", "Unspecified")]
    [TestCase("[ff02::1]:6881", "Multicast")]
    [TestCase("[::5.6.7.8]:6881", "Reserved")]
    [TestCase("127.0.0.1:6881", "Loopback")]
    [TestCase("[::1]:6881", "Loopback")]
    [TestCase("10.1.2.3:6881", "Private")]
    [TestCase("172.16.0.9:6881", "Private")]
    [TestCase("192.168.1.1:6881", "Private")]
    [TestCase("100.64.0.1:6881", "Private")]
    [TestCase("169.254.0.1:6881", "Private")]
    [TestCase("[fe80::1]:6881", "Private")]
    [TestCase("[fd00::1]:6881", "Private")]
    [TestCase("11.0.0.1:6881", "OwnEndPoint")]
    [TestCase("13.0.0.1:6881", "")]
    [TestCase("[2001:4860::8888]:6881", "")]
    public void A_node_on_the_public_internet_ignores(string named, string reason) =>
        Assert.That(Judge(named)?.ToString() ?? string.Empty, Is.EqualTo(reason));

    [Test]
    public void Our_own_id_and_our_voted_endpoint_are_ignored()
    {
        Assert.That(Judge("13.0.0.1:6881", id: Self), Is.EqualTo(IgnoredNodeReason.OwnId));
        Assert.That(Judge("20.0.0.7:6881", local: IPEndPoint.Parse("0.0.0.0:6881"), external: "20.0.0.7"), Is.EqualTo(IgnoredNodeReason.OwnEndPoint));
        Assert.That(Judge("20.0.0.7:6882", local: IPEndPoint.Parse("0.0.0.0:6881"), external: "20.0.0.7"), Is.Null, "another port of our address is another node (a NAT)");
    }

    [Test]
    public void Loopback_and_private_nodes_are_followed_on_such_a_network()
    {
        Assert.That(Judge("127.0.0.5:6881", local: IPEndPoint.Parse("127.0.0.1:6881")), Is.Null, "bound to loopback");
        Assert.That(Judge("127.0.0.5:6881", local: IPEndPoint.Parse("0.0.0.0:6881"), external: "127.0.0.1"), Is.Null, "told by the vote");
        Assert.That(Judge("127.0.0.5:6881", local: IPEndPoint.Parse("0.0.0.0:6881"), namedBy: IPEndPoint.Parse("127.0.0.9:7000")), Is.Null, "named by a node of a local swarm");
        Assert.That(Judge("192.168.1.5:6881", local: IPEndPoint.Parse("192.168.1.2:6881")), Is.Null);
        Assert.That(Judge("192.168.1.5:6881", local: IPEndPoint.Parse("0.0.0.0:6881"), external: "10.0.0.3"), Is.Null, "a private network, as the vote has it");
        Assert.That(Judge("192.168.1.5:6881", local: IPEndPoint.Parse("127.0.0.1:6881")), Is.EqualTo(IgnoredNodeReason.Private), "loopback is not a private network");
        Assert.That(Judge("127.0.0.5:6881", local: IPEndPoint.Parse("0.0.0.0:6881")), Is.EqualTo(IgnoredNodeReason.Loopback), "bound to any address, no vote yet, a public namer");
    }

    [Test]
    public void With_EnforceNodeIds_an_id_BEP_42_does_not_allow_is_ignored()
    {
        NodeId valid = SecureNodeId.Create(IPAddress.Parse("13.0.0.1"), 7, new Random(1));
        Assert.That(Judge("13.0.0.1:6881", id: Other, enforce: true), Is.EqualTo(IgnoredNodeReason.UnverifiedId));
        Assert.That(Judge("13.0.0.1:6881", id: valid, enforce: true), Is.Null);
        Assert.That(Judge("13.0.0.1:6881", id: Other, enforce: false), Is.Null);
    }

    [Test]
    public void A_lookup_queries_none_of_the_junk_a_reply_names_and_counts_each_kind()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1));
        var contacted = new List<IPAddress>();

        // Public-looking addresses, in memory only: the network delivers to its own endpoints and nothing leaves the process.
        DhtNode node = network.StartNode(new DhtNodeOptions
        {
            BindEndPoint = PublicLocal,
            RandomSeed = 3,
            BootstrapNodes = [PublicNamer.ToString()],
            SendPolicy = new SendPolicy(address => { contacted.Add(address); return true; }),
            QueriesPerSecondPerIp = 0,
        });
        var good = new ScriptedPeer(network, IPEndPoint.Parse("13.0.0.2:6881"), NodeId.Parse("2222222222222222222222222222222222222222"));
        var namer = new ScriptedPeer(network, PublicNamer, NodeId.Parse("3333333333333333333333333333333333333333"));
        namer.Answer = (_, _) => ScriptedPeer.Naming(
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444401"), IPEndPoint.Parse("13.0.0.1:0")),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444402"), IPEndPoint.Parse("0.0.0.9:6881")),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444403"), IPEndPoint.Parse("255.255.255.255:6881")),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444404"), IPEndPoint.Parse("224.0.0.251:5353")),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444405"), IPEndPoint.Parse("250.1.2.3:6881")),
            new NodeInfo(node.Id, IPEndPoint.Parse("14.0.0.1:6881")),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444406"), PublicLocal),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444407"), IPEndPoint.Parse("127.0.0.1:6881")),
            new NodeInfo(NodeId.Parse("4444444444444444444444444444444444444408"), IPEndPoint.Parse("192.168.0.1:6881")),
            new NodeInfo(good.Id, good.EndPoint));

        Task<MainlineDht.Lookups.LookupReport> join = node.JoinAsync();
        Assert.That(clock.RunUntil(() => join.IsCompleted, TimeSpan.FromMinutes(2)), Is.True);

        Assert.That(good.Received, Is.Not.Empty, "the good node named beside the junk is queried");
        Assert.That(contacted.Select(a => a.ToString()).Distinct(), Is.EquivalentTo(new[] { "12.0.0.1", "13.0.0.2" }), "nothing else is sent to");
        DhtNodeStatistics stats = node.GetStatistics();
        foreach (string reason in new[] { "port_0", "unspecified", "broadcast", "multicast", "reserved", "own_id", "own_endpoint", "loopback", "private" })
        {
            Assert.That(stats.NodesIgnoredByReason[reason], Is.GreaterThan(0), reason);
        }

        Assert.That(stats.NodesIgnoredByReason["unverified_id"], Is.Zero);
        Assert.That(stats.NodesIgnored, Is.EqualTo(stats.NodesIgnoredByReason.Values.Sum()));
    }
}
