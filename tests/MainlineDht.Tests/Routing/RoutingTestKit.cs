using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht.Tests.Routing;

/// <summary>Ids, endpoints and times for routing table tests. Nothing here touches a network.</summary>
internal sealed class RoutingTestKit
{
    public static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(50);

    private int _nextEndPoint = 1;

    public RoutingTestKit(int seed = 1)
    {
        Random = new Random(seed);
        LocalId = NodeId.CreateRandom(Random);
    }

    public Random Random { get; }

    public NodeId LocalId { get; }

    public RoutingTable NewTable(RoutingTableOptions? options = null) => new(LocalId, System.Net.Sockets.AddressFamily.InterNetwork, options);

    /// <summary>A fresh, distinct loopback endpoint.</summary>
    public IPEndPoint NextEndPoint()
    {
        int n = _nextEndPoint++;
        return new IPEndPoint(new IPAddress([127, (byte)(n >> 16), (byte)(n >> 8), (byte)n]), 6881);
    }

    /// <summary>A random id that shares exactly <paramref name="commonPrefix"/> leading bits with ours.</summary>
    public NodeId IdAt(int commonPrefix)
    {
        NodeId bit = NodeId.PrefixMask(commonPrefix + 1) ^ NodeId.PrefixMask(commonPrefix);
        NodeId id = NodeId.CreateRandomInRange(LocalId ^ bit, commonPrefix + 1, Random);
        Assert.That(LocalId.CommonPrefixLength(id), Is.EqualTo(commonPrefix));
        return id;
    }

    /// <summary>Adds a node that answered at <paramref name="now"/>; asserts it went live.</summary>
    public (NodeId Id, IPEndPoint EndPoint) AddLive(RoutingTable table, NodeId id, DateTimeOffset now)
    {
        IPEndPoint ep = NextEndPoint();
        RoutingOutcome outcome = table.OnReply(id, ep, Rtt, now);
        Assert.That(outcome.Result, Is.EqualTo(RoutingResult.Added), $"adding {id}");
        return (id, ep);
    }

    /// <summary>
    /// Builds a table whose bucket 0 (ids that differ from ours in the first bit) is full with
    /// <paramref name="count"/> nodes answering at <paramref name="now"/>, plus one node in our half
    /// so that bucket 0 is a far bucket that can no longer split.
    /// </summary>
    public List<(NodeId Id, IPEndPoint EndPoint)> FillFarBucket(RoutingTable table, DateTimeOffset now, int count = 8)
    {
        AddLive(table, IdAt(1), now);
        var nodes = new List<(NodeId, IPEndPoint)>();
        for (int i = 0; i < count; i++)
        {
            nodes.Add(AddLive(table, IdAt(0), now));
        }

        Assert.That(table.BucketCount, Is.GreaterThanOrEqualTo(2));
        Assert.That(table.Buckets[0].Count, Is.EqualTo(count));
        return nodes;
    }
}
