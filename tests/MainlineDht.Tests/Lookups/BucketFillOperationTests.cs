using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// A bucket's refresh after a join has what it came for once K nodes at that bucket's distance from
/// our id have answered or were in the bucket already; nodes at any other distance do not count, nor
/// does one node twice; it keeps no more queries in flight than answers it still wants.
/// </summary>
public sealed class BucketFillOperationTests
{
    private static readonly NodeId Self = NodeId.Parse("8000000000000000000000000000000000000000");

    [Test]
    public void It_is_satisfied_by_K_distinct_responders_at_the_buckets_distance_only()
    {
        // Bucket 3: ids sharing our first 3 bits (100) and not the fourth: 1001…
        var operation = new BucketFillOperation(new FakeLookupNetwork(AddressFamily.InterNetwork, Self, new VirtualTimeProvider()), At("9f"), Self, depth: 3, known: []);
        var response = new KrpcResponse { Id = Self };
        operation.OnResponse(Candidate(At("a0")), response); // distance 2
        operation.OnResponse(Candidate(At("88")), response); // distance 4
        operation.OnResponse(Candidate(null), response);     // no id known
        for (int i = 0; i < BucketFillOperation.Wanted - 1; i++)
        {
            operation.OnResponse(Candidate(At($"9{i:x}")), response);
            operation.OnResponse(Candidate(At($"9{i:x}")), response); // the same node again
        }

        Assert.That(operation.IsSatisfied, Is.False, "7 in range");
        operation.OnResponse(Candidate(At("9f")), response);
        Assert.That(operation.IsSatisfied, Is.True, "the eighth");
    }

    [Test]
    public void The_nodes_the_bucket_holds_already_count_and_bound_the_queries_in_flight()
    {
        NodeId[] known = [At("90"), At("91"), At("92"), At("93"), At("94"), At("95")];
        var operation = new BucketFillOperation(new FakeLookupNetwork(AddressFamily.InterNetwork, Self, new VirtualTimeProvider()), At("9f"), Self, depth: 3, known);
        Assert.That(operation.IsSatisfied, Is.False);
        Assert.That(operation.MaxInFlight, Is.EqualTo(2), "K less the 6 it has");

        var response = new KrpcResponse { Id = Self };
        operation.OnResponse(Candidate(At("90")), response); // one it had, answering again
        Assert.That(operation.MaxInFlight, Is.EqualTo(2));
        operation.OnResponse(Candidate(At("96")), response);
        Assert.That(operation.MaxInFlight, Is.EqualTo(1));
        operation.OnResponse(Candidate(At("97")), response);
        Assert.That(operation.IsSatisfied, Is.True);
    }

    [Test]
    public void A_refresh_that_lacks_two_nodes_asks_two_at_a_time_and_stops_when_they_answered()
    {
        // Six good nodes in bucket 3 already; ten more of its range answer, each after 100 ms.
        var clock = new VirtualTimeProvider();
        var network = new FakeLookupNetwork(AddressFamily.InterNetwork, Self, clock);
        var traversal = new Traversal(new BucketFillOperation(network, At("9f"), Self, depth: 3, known: [At("90"), At("91"), At("92"), At("93"), At("94"), At("95")]), clock);
        for (int i = 0; i < 10; i++)
        {
            var endPoint = new IPEndPoint(IPAddress.Parse($"127.0.1.{i + 1}"), 6881);
            NodeId id = NodeId.Parse($"9{i:x}" + "00000000000000000000000000000000000001");
            network.Nodes[endPoint] = new FakeNode(id) { Delay = TimeSpan.FromMilliseconds(100) };
            traversal.AddCandidate(id, endPoint, 0);
        }

        Task run = traversal.RunAsync(CancellationToken.None);
        Assert.That(clock.RunUntil(() => run.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the refresh did not end");
        Assert.That(network.MaxInFlight, Is.EqualTo(2), "alpha is 4, but only two answers are wanted");
        Assert.That(traversal.Queried, Is.EqualTo(2), "two answers were wanted: the refresh ends with them");
    }

    private static NodeId At(string firstByte) => NodeId.Parse(firstByte + new string('0', 38));

    private static Traversal.Candidate Candidate(NodeId? id) => new(id, new IPEndPoint(IPAddress.Parse("127.0.0.9"), 6881), 0, 0);
}
