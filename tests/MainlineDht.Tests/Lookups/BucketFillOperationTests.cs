using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Simulation;

namespace MainlineDht.Tests.Lookups;

/// <summary>
/// A bucket's refresh after a join has what it came for once K nodes at that bucket's distance from
/// our id have answered; nodes at any other distance do not count, nor does one node twice.
/// </summary>
public sealed class BucketFillOperationTests
{
    private static readonly NodeId Self = NodeId.Parse("8000000000000000000000000000000000000000");

    [Test]
    public void It_is_satisfied_by_K_distinct_responders_at_the_buckets_distance_only()
    {
        // Bucket 3: ids sharing our first 3 bits (100) and not the fourth: 1001…
        var operation = new BucketFillOperation(new FakeLookupNetwork(AddressFamily.InterNetwork, Self, new VirtualTimeProvider()), At("9f"), Self, depth: 3);
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

    private static NodeId At(string firstByte) => NodeId.Parse(firstByte + new string('0', 38));

    private static Traversal.Candidate Candidate(NodeId? id) => new(id, new IPEndPoint(IPAddress.Parse("127.0.0.9"), 6881), 0, 0);
}
