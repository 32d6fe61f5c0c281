using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// The traversal on its own, driven by a fake query function on a virtual clock: which node it
/// asks, in what order it keeps them, and how it takes an id it did not expect.
/// </summary>
public sealed class TraversalTests
{
    private static readonly NodeId Target = NodeId.Zero;
    private static readonly NodeId Self = NodeId.Parse("ffffffffffffffffffffffffffffffffffffffff");

    /// <summary>A node of the fake network: the id it answers with and the nodes it returns.</summary>
    private sealed record FakeNode(NodeId AnswersAs, params NodeInfo[] Returns);

    private static IPEndPoint At(int last) => new(IPAddress.Parse($"127.0.0.{last}"), 6881);

    private static NodeId Id(string firstByte) => NodeId.Parse(firstByte + new string('0', 38));

    /// <summary>Runs a traversal from <paramref name="seeds"/> over <paramref name="network"/>; every node answers at once.</summary>
    private static Traversal Run(Dictionary<IPEndPoint, FakeNode> network, params (NodeId? Id, IPEndPoint EndPoint)[] seeds)
    {
        var clock = new VirtualTimeProvider();
        var traversal = new Traversal(Target, clock, TimeSpan.FromSeconds(1), (candidate, _) =>
        {
            if (!network.TryGetValue(candidate.EndPoint, out FakeNode? node))
            {
                return Task.FromResult(new RpcResult(RpcStatus.Timeout, candidate.EndPoint, null, null, TimeSpan.Zero));
            }

            var response = new KrpcResponse
            {
                Id = node.AnswersAs,
                Nodes = CompactFormat.WriteNodes(node.Returns, AddressFamily.InterNetwork),
                Token = "tk"u8.ToArray(),
            };
            return Task.FromResult(new RpcResult(RpcStatus.Response, candidate.EndPoint, response, null, TimeSpan.FromMilliseconds(10)));
        })
        { Self = Self };

        foreach ((NodeId? id, IPEndPoint endPoint) in seeds)
        {
            traversal.AddCandidate(id, endPoint, 0);
        }

        Task run = traversal.RunAsync(CancellationToken.None);
        Assert.That(clock.RunUntil(() => run.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the traversal did not end");
        run.GetAwaiter().GetResult();
        return traversal;
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
            [At(11)] = new(Id("40")),
            [At(12)] = new(Id("50")),
            [At(13)] = new(Id("60")),
            [At(20)] = new(Id("01")), // a bootstrap node, asked without an id: it is the closest of all
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
            [At(20)] = new(Id("70"), new NodeInfo(Id("30"), At(31)), new NodeInfo(Id("20"), At(32))),
            [At(21)] = new(Id("02"), new NodeInfo(Id("10"), At(33))),
            [At(31)] = new(Id("30")),
            [At(32)] = new(Id("20")),
            [At(33)] = new(Id("10"), new NodeInfo(Id("08"), At(34))),
            [At(34)] = new(Id("08")),
        };

        Traversal traversal = Run(network, (null, At(20)), (null, At(21)));

        AssertSorted(traversal);
        Assert.That(
            traversal.ClosestResponded(Traversal.K).Select(c => c.Id),
            Is.EqualTo(new NodeId?[] { Id("02"), Id("08"), Id("10"), Id("20"), Id("30"), Id("70") }));
    }

    [TestCase("08", 0)]
    [TestCase("60", 1)]
    public void A_node_answering_with_another_id_is_not_taken_for_the_one_expected(string realId, int expectedIndex)
    {
        var network = new Dictionary<IPEndPoint, FakeNode>
        {
            [At(11)] = new(Id(realId)), // we know this endpoint as 0x20…, it answers as another node
            [At(12)] = new(Id("40")),
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
            [At(20)] = new(Self, new NodeInfo(Id("10"), At(33))),
            [At(12)] = new(Id("40")),
        };

        Traversal traversal = Run(network, (null, At(20)), (Id("40"), At(12)));

        Assert.That(traversal.ClosestResponded(Traversal.K).Select(c => c.Id), Is.EqualTo(new NodeId?[] { Id("40") }));
        Assert.That(traversal.Queried, Is.EqualTo(2), "the nodes it returned are not asked");
    }
}
