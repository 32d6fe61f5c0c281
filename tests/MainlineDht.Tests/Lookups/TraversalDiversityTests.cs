using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// IP diversity in lookups (libtorrent's <c>dht_restrict_search_ips</c>): among the nodes replies
/// name, a traversal queries at most one per /24 (/64); its starting nodes are exempt.
/// </summary>
public sealed class TraversalDiversityTests
{
    private static readonly NodeId Target = NodeId.Zero;
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    private static NodeId Id(int n) => NodeId.Parse(n.ToString("x2") + new string('0', 38));

    private static IPEndPoint At(string address) => new(IPAddress.Parse(address), 6881);

    private static (FakeLookupNetwork Network, Traversal Traversal) Run(IpDiversity diversity, Dictionary<IPEndPoint, FakeNode> nodes, params (NodeId? Id, IPEndPoint EndPoint)[] seeds)
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock) { IpDiversity = diversity };
        foreach ((IPEndPoint endPoint, FakeNode node) in nodes)
        {
            network.Nodes[endPoint] = node;
        }

        var traversal = new Traversal(new FindNodeOperation(network, Target), clock);
        foreach ((NodeId? id, IPEndPoint endPoint) in seeds)
        {
            traversal.AddCandidate(id, endPoint, 0);
        }

        Task run = traversal.RunAsync(CancellationToken.None);
        Assert.That(clock.RunUntil(() => run.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
        return (network, traversal);
    }

    /// <summary>A starting node that names five nodes of one /24, closest of all to the target, and three honest nodes of three other /24s.</summary>
    private static Dictionary<IPEndPoint, FakeNode> SybilsNamedBy(string sybilRange, string honestRange, string starter = "9.9.9.9")
    {
        NodeInfo[] sybils = [.. Enumerable.Range(1, 5).Select(i => new NodeInfo(Id(i), At($"{sybilRange}.{i}")))];
        NodeInfo[] honest = [.. Enumerable.Range(1, 3).Select(i => new NodeInfo(Id(0x40 + i), At($"{honestRange}.{i}.1")))];
        var nodes = new Dictionary<IPEndPoint, FakeNode> { [At(starter)] = new FakeNode(Id(0x90)) { Nodes = [.. sybils, .. honest] } };
        foreach (NodeInfo node in sybils.Concat(honest))
        {
            nodes[node.EndPoint] = new FakeNode(node.Id);
        }

        return nodes;
    }

    [Test]
    public void A_lookup_queries_one_node_of_a_slash_24_that_replies_name()
    {
        (FakeLookupNetwork network, Traversal traversal) = Run(IpDiversity.Public, SybilsNamedBy("80.0.0", "81.0"), (null, At("9.9.9.9")));

        List<IPEndPoint> asked = network.Sent.Select(s => s.EndPoint).ToList();
        Assert.That(asked.Count(e => e.Address.ToString().StartsWith("80.0.0.", StringComparison.Ordinal)), Is.EqualTo(1), string.Join(", ", asked));
        Assert.That(asked.Count(e => e.Address.ToString().StartsWith("81.0.", StringComparison.Ordinal)), Is.EqualTo(3), "every honest /24 is asked");
        Assert.That(traversal.RefusedByDiversity, Is.EqualTo(4));
        Assert.That(traversal.ClosestResponded(Traversal.K).Count(c => c.EndPoint.Address.ToString().StartsWith("80.0.0.", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void Starting_nodes_are_all_asked_whatever_their_range()
    {
        var nodes = new Dictionary<IPEndPoint, FakeNode>();
        var seeds = new List<(NodeId?, IPEndPoint)>();
        for (int i = 1; i <= 4; i++)
        {
            nodes[At($"82.0.0.{i}")] = new FakeNode(Id(i));
            seeds.Add((Id(i), At($"82.0.0.{i}")));
        }

        (FakeLookupNetwork network, _) = Run(IpDiversity.Public, nodes, [.. seeds]);

        Assert.That(network.Sent.Select(s => s.EndPoint).Distinct().Count(), Is.EqualTo(4));
    }

    [Test]
    public void Loopback_nodes_are_exempt_unless_the_rule_applies_to_all()
    {
        (FakeLookupNetwork exempt, _) = Run(IpDiversity.Public, SybilsNamedBy("127.0.50", "127.1", "127.9.9.9"), (null, At("127.9.9.9")));
        (FakeLookupNetwork all, _) = Run(IpDiversity.All, SybilsNamedBy("127.0.50", "127.1", "127.9.9.9"), (null, At("127.9.9.9")));
        (FakeLookupNetwork off, _) = Run(IpDiversity.Off, SybilsNamedBy("80.0.0", "81.0"), (null, At("9.9.9.9")));

        Assert.That(exempt.Sent.Count(s => s.EndPoint.Address.ToString().StartsWith("127.0.50.", StringComparison.Ordinal)), Is.EqualTo(5));
        Assert.That(all.Sent.Count(s => s.EndPoint.Address.ToString().StartsWith("127.0.50.", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(off.Sent.Count(s => s.EndPoint.Address.ToString().StartsWith("80.0.0.", StringComparison.Ordinal)), Is.EqualTo(5));
    }
}
