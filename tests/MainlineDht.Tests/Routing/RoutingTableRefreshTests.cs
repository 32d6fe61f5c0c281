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
}
