using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

/// <summary>
/// BEP 42 in the routing table: verified ids are preferred when our bucket is full
/// (<c>dht_prefer_verified_node_ids</c>), <see cref="RoutingTableOptions.EnforceNodeIds"/> refuses the
/// others, and a change of our own id re-buckets the table.
/// </summary>
public sealed class RoutingTableSecureIdTests
{
    private int _nextAddress;

    /// <summary>A public endpoint on a /24 of its own and an id BEP 42 allows for it, sharing exactly <paramref name="commonPrefix"/> bits with ours.</summary>
    private (NodeId Id, IPEndPoint EndPoint) Verified(RoutingTestKit kit, int commonPrefix)
    {
        while (true)
        {
            int n = ++_nextAddress;
            var address = new IPAddress([20, (byte)(n >> 8), (byte)n, 1]);
            NodeId id = SecureNodeId.Create(address, (byte)n, kit.Random);
            if (kit.LocalId.CommonPrefixLength(id) == commonPrefix)
            {
                return (id, new IPEndPoint(address, 6881));
            }
        }
    }

    /// <summary>A public endpoint on a /24 of its own with an id of its own choosing.</summary>
    private (NodeId Id, IPEndPoint EndPoint) Unverified(RoutingTestKit kit, int commonPrefix)
    {
        int n = ++_nextAddress;
        var endPoint = new IPEndPoint(new IPAddress([20, (byte)(n >> 8), (byte)n, 1]), 6881);
        NodeId id = kit.IdAt(commonPrefix);
        Assert.That(SecureNodeId.IsValid(id, endPoint.Address), Is.False);
        return (id, endPoint);
    }

    private RoutingTable FullOwnBucketOfVerifiedIds(RoutingTestKit kit, RoutingTableOptions? options = null)
    {
        RoutingTable table = kit.NewTable(options);
        for (int i = 0; i < 8; i++)
        {
            (NodeId id, IPEndPoint ep) = Verified(kit, i % 2);
            Assert.That(table.OnReply(id, ep, Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        }

        Assert.That(table.BucketCount, Is.EqualTo(1), "one full bucket: ours");
        return table;
    }

    [Test]
    public void Our_full_bucket_of_verified_ids_splits_for_a_verified_newcomer_only()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = FullOwnBucketOfVerifiedIds(kit);

        (NodeId stranger, IPEndPoint strangerEp) = Unverified(kit, 0);
        Assert.That(table.OnReply(stranger, strangerEp, Rtt, T0).Result, Is.EqualTo(RoutingResult.Cached), "an unverified id waits");
        Assert.That(table.BucketCount, Is.EqualTo(1));

        (NodeId verified, IPEndPoint verifiedEp) = Verified(kit, 0);
        Assert.That(table.OnReply(verified, verifiedEp, Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.BucketCount, Is.GreaterThan(1), "it split for the verified one");
    }

    [Test]
    public void Without_the_preference_an_unverified_newcomer_splits_our_bucket_too()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = FullOwnBucketOfVerifiedIds(kit, new RoutingTableOptions { PreferVerifiedNodeIds = false });
        (NodeId stranger, IPEndPoint ep) = Unverified(kit, 0);

        Assert.That(table.OnReply(stranger, ep, Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.BucketCount, Is.GreaterThan(1));
    }

    [Test]
    public void EnforceNodeIds_refuses_unverified_ids_of_public_addresses_only()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { EnforceNodeIds = true });
        (NodeId stranger, IPEndPoint strangerEp) = Unverified(kit, 0);
        (NodeId verified, IPEndPoint verifiedEp) = Verified(kit, 0);

        Assert.That(table.OnReply(stranger, strangerEp, Rtt, T0).Result, Is.EqualTo(RoutingResult.Ignored));
        Assert.That(table.OnQuery(stranger, strangerEp, T0), Is.False);
        Assert.That(table.OnReply(verified, verifiedEp, Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.OnReply(kit.IdAt(0), kit.NextEndPoint(), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "loopback allows any id");
    }

    [Test]
    public void A_new_local_id_rebuckets_every_node_and_keeps_what_the_table_knew()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 40; i++)
        {
            table.OnReply(kit.IdAt(kit.Random.Next(0, 6)), kit.NextEndPoint(), Rtt, T0 + TimeSpan.FromSeconds(i));
        }

        table.OnFailure(table.Snapshot(T0)[0].Id, table.Snapshot(T0)[0].EndPoint, T0);
        Dictionary<NodeId, RoutingTableEntry> before = table.Snapshot(T0 + TimeSpan.FromMinutes(1)).ToDictionary(e => e.Id);
        NodeId newId = NodeId.CreateRandom(new Random(99));

        int count = table.ChangeLocalId(newId);

        Assert.That(table.LocalId, Is.EqualTo(newId));
        Assert.That(count, Is.EqualTo(table.Count));
        Assert.That(table.Count + table.ReplacementCount, Is.GreaterThanOrEqualTo(Math.Min(before.Count, 16)));
        Assert.That(table.Buckets[^1].Covers(newId), Is.True);
        foreach (RoutingBucket bucket in table.Buckets)
        {
            foreach (NodeEntry e in bucket.Nodes)
            {
                Assert.That(table.Buckets[table.BucketIndexOf(e.Id)], Is.SameAs(bucket), "each node in the bucket of its range");
                RoutingTableEntry old = before[e.Id];
                Assert.That((e.EndPoint, e.LastReply, e.FailureCount), Is.EqualTo((old.EndPoint, old.LastReply, old.FailureCount)), "what the table knew is kept");
            }
        }

        NodeId target = NodeId.CreateRandom(new Random(5));
        NodeId[] closest = table.FindClosest(target, 8, includeQuestionable: true, T0 + TimeSpan.FromMinutes(1)).Select(e => e.Id).ToArray();
        NodeId[] truth = table.Snapshot(T0 + TimeSpan.FromMinutes(1)).Where(e => e.State != NodeState.Bad).Select(e => e.Id)
            .OrderBy(id => id, Comparer<NodeId>.Create(target.CompareDistance)).Take(8).ToArray();
        Assert.That(closest, Is.EqualTo(truth), "the walk over the new buckets finds the true closest");
        Assert.That(table.GetBucketsNeedingRefresh(T0 + TimeSpan.FromMinutes(1), kit.Random), Has.Count.EqualTo(table.BucketCount), "the new neighbourhood is to be learned");
    }
}
