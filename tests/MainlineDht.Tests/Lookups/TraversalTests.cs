using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The traversal and its operations on their own, over a fake <see cref="ILookupNetwork"/> on a
/// virtual clock (no sockets): which node it asks, in what order it keeps them, how it takes an id it
/// did not expect, slow nodes, the final round, the family it follows, and what each operation
/// takes from the replies.
/// </summary>
public sealed class TraversalTests
{
    private static readonly NodeId Target = NodeId.Zero;
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    private static IPEndPoint At(int last) => new(IPAddress.Parse($"127.0.0.{last}"), 6881);

    private static IPEndPoint At6(int last) => new(IPAddress.Parse($"fd00::{last:x}"), 6881);

    private static NodeId Id(string firstByte) => NodeId.Parse(firstByte + new string('0', 38));

    /// <summary>A node answering as <paramref name="id"/> and returning <paramref name="nodes"/> in <c>nodes</c>.</summary>
    private static FakeNode Answers(NodeId id, params NodeInfo[] nodes) => new(id) { Nodes = nodes };

    /// <summary>Runs a traversal of <paramref name="operation"/> from <paramref name="seeds"/> until it ends.</summary>
    private static Traversal Run(VirtualTimeProvider clock, TraversalOperation operation, params (NodeId? Id, IPEndPoint EndPoint)[] seeds)
    {
        var traversal = new Traversal(operation, clock);
        foreach ((NodeId? id, IPEndPoint endPoint) in seeds)
        {
            traversal.AddCandidate(id, endPoint, 0);
        }

        Task run = traversal.RunAsync(CancellationToken.None);
        Assert.That(clock.RunUntil(() => run.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the traversal did not end");
        run.GetAwaiter().GetResult();
        return traversal;
    }

    /// <summary>Runs a <c>find_node</c> traversal toward <see cref="Target"/> over an IPv4 network of <paramref name="nodes"/>; every node answers at once.</summary>
    private static Traversal Run(Dictionary<IPEndPoint, FakeNode> nodes, params (NodeId? Id, IPEndPoint EndPoint)[] seeds)
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        foreach ((IPEndPoint endPoint, FakeNode node) in nodes)
        {
            network.Nodes[endPoint] = node;
        }

        return Run(clock, new FindNodeOperation(network, Target), seeds);
    }

    private static void AssertSorted(Traversal traversal)
    {
        IReadOnlyList<Traversal.Candidate> list = traversal.Candidates;
        for (int i = 1; i < list.Count; i++)
        {
            NodeId? before = list[i - 1].Id;
            NodeId? after = list[i].Id;
            Assert.That(
                after is null || (before is not null && Target.CompareDistance(before.Value, after.Value) <= 0),
                Is.True,
                $"the candidate list is out of order at {i}: {before} then {after}");
        }
    }

    [Test]
    public void A_bootstrap_node_that_answers_moves_to_where_its_id_sorts()
    {
        var network = new Dictionary<IPEndPoint, FakeNode>
        {
            [At(11)] = Answers(Id("40")),
            [At(12)] = Answers(Id("50")),
            [At(13)] = Answers(Id("60")),
            [At(20)] = Answers(Id("01")), // a bootstrap node, asked without an id: it is the closest of all
        };

        Traversal traversal = Run(network, (Id("40"), At(11)), (Id("50"), At(12)), (Id("60"), At(13)), (null, At(20)));

        AssertSorted(traversal);
        Assert.That(traversal.ClosestResponded(Traversal.K).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id("01"), Id("40"), Id("50"), Id("60") }));
    }

    [Test]
    public void Nodes_learned_after_bootstrap_replies_are_kept_in_order()
    {
        var network = new Dictionary<IPEndPoint, FakeNode>
        {
            // Two bootstrap nodes: the first is far and returns two nodes, the second is near and returns one.
            [At(20)] = Answers(Id("70"), new NodeInfo(Id("30"), At(31)), new NodeInfo(Id("20"), At(32))),
            [At(21)] = Answers(Id("02"), new NodeInfo(Id("10"), At(33))),
            [At(31)] = Answers(Id("30")),
            [At(32)] = Answers(Id("20")),
            [At(33)] = Answers(Id("10"), new NodeInfo(Id("08"), At(34))),
            [At(34)] = Answers(Id("08")),
        };

        Traversal traversal = Run(network, (null, At(20)), (null, At(21)));

        AssertSorted(traversal);
        Assert.That(
            traversal.ClosestResponded(Traversal.K).Select(c => c.Id),
            Is.EqualTo(new NodeId?[] { Id("02"), Id("08"), Id("10"), Id("20"), Id("30"), Id("70") }));
    }

    [Test]
    public void A_node_that_several_replies_name_is_asked_once_and_a_starting_node_named_again_is_not_asked_again()
    {
        var network = new Dictionary<IPEndPoint, FakeNode>
        {
            [At(11)] = Answers(Id("40"), new NodeInfo(Id("10"), At(31)), new NodeInfo(Id("50"), At(12))),
            [At(12)] = Answers(Id("50"), new NodeInfo(Id("10"), At(31)), new NodeInfo(Id("40"), At(11))),
            [At(31)] = Answers(Id("10"), new NodeInfo(Id("40"), At(11)), new NodeInfo(Id("10"), At(31))),
        };
        var clock = new VirtualTimeProvider();
        var fake = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        foreach ((IPEndPoint endPoint, FakeNode node) in network)
        {
            fake.Nodes[endPoint] = node;
        }

        Traversal traversal = Run(clock, new FindNodeOperation(fake, Target), (Id("40"), At(11)), (Id("50"), At(12)));

        Assert.That(fake.Sent.Select(s => s.EndPoint), Is.EquivalentTo(new[] { At(11), At(12), At(31) }), "each endpoint asked once");
        Assert.That(traversal.Candidates, Has.Count.EqualTo(3));
    }

    [TestCase("08", 0)]
    [TestCase("60", 1)]
    public void A_node_answering_with_another_id_is_not_taken_for_the_one_expected(string realId, int expectedIndex)
    {
        var network = new Dictionary<IPEndPoint, FakeNode>
        {
            [At(11)] = Answers(Id(realId)), // we know this endpoint as 0x20…, it answers as another node
            [At(12)] = Answers(Id("40")),
        };

        Traversal traversal = Run(network, (Id("20"), At(11)), (Id("40"), At(12)));

        AssertSorted(traversal);
        List<Traversal.Candidate> responded = traversal.ClosestResponded(Traversal.K);
        Assert.That(responded.Select(c => c.Id), Does.Not.Contain(Id("20")), "the expected id did not answer");
        Assert.That(responded, Has.Count.EqualTo(2));
        Assert.That(responded[expectedIndex].Id, Is.EqualTo(Id(realId)), "the responder is placed by its real id");
        Assert.That(responded[expectedIndex].EndPoint, Is.EqualTo(At(11)));
        Assert.That(responded[expectedIndex].Token, Is.EqualTo("tk"u8.ToArray()), "its token is kept for an announce");
        Assert.That(traversal.Candidates.Single(c => c.Id == Id("20")).State, Is.EqualTo(Traversal.CandidateState.Failed));
        Assert.That(traversal.Replies, Is.EqualTo(2));
    }

    [Test]
    public void A_node_answering_with_our_own_id_is_not_used()
    {
        var network = new Dictionary<IPEndPoint, FakeNode>
        {
            [At(20)] = Answers(Self, new NodeInfo(Id("10"), At(33))),
            [At(12)] = Answers(Id("40")),
        };

        Traversal traversal = Run(network, (null, At(20)), (Id("40"), At(12)));

        Assert.That(traversal.ClosestResponded(Traversal.K).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id("40") }));
        Assert.That(traversal.Queried, Is.EqualTo(2), "the nodes it returned are not asked");
    }

    [Test]
    public void A_slow_node_frees_its_slot_and_is_not_waited_for()
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock) { SlowAfter = TimeSpan.FromSeconds(1) };
        network.Nodes[At(11)] = new FakeNode(Id("01")) { Delay = TimeSpan.FromSeconds(3) }; // the closest, and slow
        network.Nodes[At(12)] = Answers(Id("02"));
        network.Nodes[At(13)] = Answers(Id("03"));
        network.Nodes[At(14)] = Answers(Id("04"));
        network.Nodes[At(15)] = Answers(Id("05"));

        Traversal traversal = Run(clock, new FindNodeOperation(network, Target), (Id("01"), At(11)), (Id("02"), At(12)), (Id("03"), At(13)), (Id("04"), At(14)), (Id("05"), At(15)));

        Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(1)), "it ends when the slow node turns slow, not when it answers");
        Assert.That(traversal.Queried, Is.EqualTo(5), "the slow node's slot went to the next node");
        Assert.That(traversal.ClosestResponded(Traversal.K).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id("02"), Id("03"), Id("04"), Id("05") }));
    }

    [Test]
    public void A_reply_that_brings_nothing_closer_starts_the_final_round_of_the_k_closest_at_once()
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        var seeds = new List<(NodeId?, IPEndPoint)>();
        for (int i = 1; i <= 12; i++)
        {
            NodeId id = Id($"{i:x2}");
            network.Nodes[At(i)] = new FakeNode(id) { Delay = TimeSpan.FromMilliseconds(100) }; // they return no node
            seeds.Add((id, At(i)));
        }

        Traversal traversal = Run(clock, new FindNodeOperation(network, Target), [.. seeds]);

        Assert.That(network.MaxInFlight, Is.GreaterThan(Traversal.Alpha), "after the first reply, more than alpha are asked at once");
        Assert.That(traversal.Queried, Is.EqualTo(Traversal.K), "only the K closest are asked");
        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EquivalentTo(Enumerable.Range(1, Traversal.K).Select(At)));
        Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(200)), "two rounds: alpha, then the rest of the K closest");
    }

    [Test]
    public void An_ipv6_traversal_follows_nodes6_asks_for_n6_and_ignores_nodes()
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetworkV6, Self, clock);
        network.Nodes[At6(1)] = new FakeNode(Id("40"))
        {
            Nodes = [new NodeInfo(Id("02"), At(2))], // an IPv4 node: not for an IPv6 traversal
            Nodes6 =
            [
                new NodeInfo(Id("03"), At6(3)),
                new NodeInfo(Id("05"), new IPEndPoint(IPAddress.Parse("fd00::5"), 0)), // port 0
            ],
            RawNodes6 = [.. Id("04").ToArray(), .. IPAddress.Parse("::ffff:127.0.0.4").GetAddressBytes(), 0x1a, 0xe1], // IPv4-mapped: not IPv6
        };
        network.Nodes[At6(3)] = new FakeNode(Id("03"));

        Traversal traversal = Run(clock, new FindNodeOperation(network, Target), (null, At6(1)));

        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EqualTo(new[] { At6(1), At6(3) }));
        Assert.That(network.SentOf<FindNodeQuery>().Select(s => s.Query.Want), Is.All.EqualTo(WantFamilies.IPv6), "want n6 only");
        Assert.That(traversal.ClosestResponded(Traversal.K).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id("03"), Id("40") }));
        Assert.That(traversal.RoundTrips, Is.EqualTo(2));
    }

    [Test]
    public void An_ipv4_traversal_follows_nodes_asks_for_n4_and_ignores_nodes6()
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        network.Nodes[At(1)] = new FakeNode(Id("40")) { Nodes = [new NodeInfo(Id("02"), At(2))], Nodes6 = [new NodeInfo(Id("03"), At6(3))] };
        network.Nodes[At(2)] = new FakeNode(Id("02"));

        Run(clock, new FindNodeOperation(network, Target), (null, At(1)));

        Assert.That(network.Sent.Select(s => s.EndPoint), Is.EqualTo(new[] { At(1), At(2) }));
        FindNodeQuery query = network.SentOf<FindNodeQuery>()[0].Query;
        Assert.That((query.Want, query.Id, query.Target, query.Version.ToArray()), Is.EqualTo((WantFamilies.IPv4, Self, Target, "FK01"u8.ToArray())));
    }

    [Test]
    public void A_get_peers_operation_collects_each_peer_once_and_streams_it()
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        IPEndPoint p1 = new(IPAddress.Parse("10.0.0.1"), 1001), p2 = new(IPAddress.Parse("10.0.0.2"), 1002), p3 = new(IPAddress.Parse("10.0.0.3"), 1003);
        network.Nodes[At(1)] = new FakeNode(Id("01")) { Values = [p1, p2] };
        network.Nodes[At(2)] = new FakeNode(Id("02")) { Values = [p2, new IPEndPoint(IPAddress.Parse("10.0.0.9"), 0), p3], Delay = TimeSpan.FromMilliseconds(5) };
        network.Nodes[At(3)] = new FakeNode(Id("03"));
        var sink = Channel.CreateUnbounded<IPEndPoint>();
        var peers = new PeerCollector(sink.Writer);

        Traversal traversal = Run(clock, new GetPeersOperation(network, Target, peers), (Id("01"), At(1)), (Id("02"), At(2)), (Id("03"), At(3)));

        Assert.That(peers.ToList(), Is.EqualTo(new[] { p1, p2, p3 }), "distinct, in arrival order, port 0 skipped");
        Assert.That(peers.Count, Is.EqualTo(3));
        var streamed = new List<IPEndPoint>();
        while (sink.Reader.TryRead(out IPEndPoint? peer))
        {
            streamed.Add(peer);
        }

        Assert.That(streamed, Is.EqualTo(new[] { p1, p2, p3 }));
        Assert.That(network.SentOf<GetPeersQuery>().Select(s => s.Query.InfoHash), Is.All.EqualTo(Target));
        Assert.That(traversal.ClosestResponded(Traversal.K).Select(c => c.Token), Is.All.EqualTo("tk"u8.ToArray()), "the tokens are kept on the candidates");
    }

    [Test]
    public void The_peer_collector_is_bounded()
    {
        var peers = new PeerCollector();
        for (int i = 0; i < PeerCollector.MaxPeers + 10; i++)
        {
            peers.Add(new IPEndPoint(new IPAddress(0x0a000000u + (uint)i), 6881));
        }

        Assert.That(peers.Count, Is.EqualTo(PeerCollector.MaxPeers));
    }

    [Test]
    public void An_operation_that_is_satisfied_ends_the_traversal_at_once()
    {
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        var seeds = new List<(NodeId?, IPEndPoint)>();
        for (int i = 1; i <= 6; i++)
        {
            network.Nodes[At(i)] = new FakeNode(Id($"{i:x2}")) { Delay = TimeSpan.FromMilliseconds(10 * i), Values = i == 1 ? [At(99)] : [] };
            seeds.Add((Id($"{i:x2}"), At(i)));
        }

        var operation = new FirstValueOperation(network, Target);
        Traversal traversal = Run(clock, operation, [.. seeds]);

        Assert.That(operation.IsSatisfied, Is.True);
        Assert.That(traversal.Queried, Is.EqualTo(Traversal.Alpha), "nobody is asked after the first value came");
        Assert.That(clock.Elapsed, Is.EqualTo(TimeSpan.FromMilliseconds(10)));
    }

    /// <summary>An operation with a completion rule of its own (as a BEP 44 immutable get has): done at the first value.</summary>
    private sealed class FirstValueOperation(ILookupNetwork network, NodeId target) : TraversalOperation(network, target)
    {
        private bool _found;

        public override bool IsSatisfied => _found;

        public override KrpcQuery CreateQuery(Traversal.Candidate candidate) =>
            new GetPeersQuery { Id = Network.LocalId, InfoHash = Target, Want = Want };

        public override void OnResponse(Traversal.Candidate responder, KrpcResponse response) => _found |= response.Values.Count > 0;
    }
}
