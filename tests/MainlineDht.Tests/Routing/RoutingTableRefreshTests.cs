using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

public sealed class RoutingTableRefreshTests
{
    private static readonly TimeSpan Minutes15 = TimeSpan.FromMinutes(15);

    [Test]
    public void A_new_table_is_due_for_a_refresh_at_once()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        Assert.That(table.GetBucketsNeedingRefresh(T0, kit.Random), Has.Count.EqualTo(1));
        Assert.That(table.GetBucketsNeedingRefresh(T0, kit.Random), Is.Empty, "handing out a refresh counts as a change");
    }

    [Test]
    public void Buckets_untouched_for_15_minutes_are_refreshed_with_a_target_in_their_range()
    {
        var kit = new RoutingTestKit(7);
        RoutingTable table = kit.NewTable();
        for (int cpl = 0; cpl < 25; cpl++)
        {
            for (int i = 0; i < 9; i++)
            {
                table.OnReply(kit.IdAt(cpl), kit.NextEndPoint(), Rtt, T0);
            }
        }

        Assert.That(table.GetBucketsNeedingRefresh(T0 + Minutes15 - TimeSpan.FromTicks(1), kit.Random), Is.Empty);

        IReadOnlyList<NodeId> targets = table.GetBucketsNeedingRefresh(T0 + Minutes15, kit.Random);
        Assert.That(targets, Has.Count.EqualTo(table.BucketCount));
        for (int i = 0; i < targets.Count; i++)
        {
            Assert.That(table.Buckets[i].Covers(targets[i]), Is.True);
            Assert.That(table.BucketIndexOf(targets[i]), Is.EqualTo(i));
        }

        Assert.That(table.GetBucketsNeedingRefresh(T0 + Minutes15, kit.Random), Is.Empty);

        // A node in bucket 3 answers: that bucket is fresh again, the others fall due.
        NodeEntry inBucket3 = table.Buckets[3].Nodes[0];
        table.OnReply(inBucket3.Id, inBucket3.EndPoint, Rtt, T0 + TimeSpan.FromMinutes(20));
        IReadOnlyList<NodeId> next = table.GetBucketsNeedingRefresh(T0 + TimeSpan.FromMinutes(30), kit.Random);
        Assert.That(next.Select(table.BucketIndexOf), Is.EqualTo(Enumerable.Range(0, table.BucketCount).Where(i => i != 3)));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Refresh_targets_always_fall_inside_their_bucket(int seed)
    {
        var kit = new RoutingTestKit(seed);
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 3000; i++)
        {
            table.OnReply(kit.IdAt(kit.Random.Next(0, 160)), kit.NextEndPoint(), Rtt, T0);
        }

        for (int round = 1; round <= 20; round++)
        {
            IReadOnlyList<NodeId> targets = table.GetBucketsNeedingRefresh(T0 + (round * Minutes15), kit.Random);
            Assert.That(targets, Has.Count.EqualTo(table.BucketCount));
            for (int i = 0; i < targets.Count; i++)
            {
                Assert.That(table.BucketIndexOf(targets[i]), Is.EqualTo(i));
            }
        }
    }

    [Test]
    public void A_newly_split_bucket_counts_as_changed()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 9; i++)
        {
            table.OnReply(kit.IdAt(i % 3), kit.NextEndPoint(), Rtt, T0 + TimeSpan.FromMinutes(1));
        }

        Assert.That(table.BucketCount, Is.GreaterThan(1));
        Assert.That(table.GetBucketsNeedingRefresh(T0 + TimeSpan.FromMinutes(10), kit.Random), Is.Empty);
    }

    [Test]
    public void The_good_ids_at_a_distance_leave_out_failing_stale_and_other_distance_nodes()
    {
        var kit = new RoutingTestKit(5);
        RoutingTable table = kit.NewTable();
        var atFive = new List<(NodeId Id, System.Net.IPEndPoint EndPoint)>();
        for (int i = 0; i < 4; i++)
        {
            (NodeId, System.Net.IPEndPoint) node = (kit.IdAt(5), kit.NextEndPoint());
            atFive.Add(node);
            table.OnReply(node.Item1, node.Item2, Rtt, T0);
        }

        for (int cpl = 0; cpl < 12; cpl++)
        {
            if (cpl != 5)
            {
                table.OnReply(kit.IdAt(cpl), kit.NextEndPoint(), Rtt, T0);
            }
        }

        table.OnFailure(atFive[0].Id, atFive[0].EndPoint, T0 + TimeSpan.FromSeconds(1));
        Assert.That(table.GoodIdsAt(5, T0 + TimeSpan.FromSeconds(2)), Is.EquivalentTo(atFive.Skip(1).Select(n => n.Id)));
        Assert.That(table.GoodIdsAt(5, T0 + Minutes15 + TimeSpan.FromSeconds(1)), Is.Empty, "silent for 15 minutes: questionable");
    }

    [Test]
    public void The_neighbourhood_depth_is_the_distance_of_the_farthest_of_the_K_closest()
    {
        var kit = new RoutingTestKit(6);
        RoutingTable table = kit.NewTable();
        for (int cpl = 0; cpl < 7; cpl++)
        {
            table.OnReply(kit.IdAt(20 + cpl), kit.NextEndPoint(), Rtt, T0);
        }

        Assert.That(table.NeighbourhoodDepth(T0), Is.Null, "7 good nodes: fewer than K");

        table.OnReply(kit.IdAt(17), kit.NextEndPoint(), Rtt, T0);
        table.OnReply(kit.IdAt(3), kit.NextEndPoint(), Rtt, T0);
        Assert.That(table.NeighbourhoodDepth(T0), Is.EqualTo(17), "the eighth closest shares 17 bits with us; the node at 3 is ninth");
    }
}
