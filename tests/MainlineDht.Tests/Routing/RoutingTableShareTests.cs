using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

/// <summary>The nodes our replies hand out (<see cref="RoutingTable.FindClosestToShare"/>): good ones first, never failing ones.</summary>
public sealed class RoutingTableShareTests
{
    [Test]
    public void Good_nodes_come_first_and_questionable_ones_only_fill_what_is_missing_closest_first()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        NodeId[] questionable = [.. Enumerable.Range(0, 3).Select(i => kit.AddLive(table, kit.IdAt(10 + i), T0).Id)];
        NodeId[] good = [.. Enumerable.Range(0, 3).Select(i => kit.AddLive(table, kit.IdAt(i), T0 + TimeSpan.FromMinutes(10)).Id)];
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(20);

        // Our own id is the target: the questionable nodes (longer common prefix) are the closest.
        Assert.That(Share(table, kit.LocalId, 3, now), Is.EqualTo(good.Reverse()), "enough good ones: no questionable one");
        Assert.That(Share(table, kit.LocalId, 4, now), Is.EqualTo(new[] { questionable[2], good[2], good[1], good[0] }), "the closest questionable one fills the gap, in distance order");
        Assert.That(Share(table, kit.LocalId, 8, now), Is.EqualTo(questionable.Reverse().Concat(good.Reverse())));
    }

    [Test]
    public void A_node_whose_last_query_failed_is_not_shared_though_still_live_and_good()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var (failing, endPoint) = kit.AddLive(table, kit.IdAt(3), T0);
        NodeId other = kit.AddLive(table, kit.IdAt(4), T0).Id;
        table.OnFailure(failing, endPoint, T0 + TimeSpan.FromMinutes(1));
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(2);

        Assert.That(table.TryGet(failing, out NodeEntry? entry) && table.GetState(entry, now) == NodeState.Good, Is.True);
        Assert.That(Share(table, kit.LocalId, 8, now), Is.EqualTo(new[] { other }));
        Assert.That(table.FindClosest(kit.LocalId, 8, includeQuestionable: true, now).Select(e => e.Id), Does.Contain(failing), "lookups may still start from it");

        // An answer clears the failure: shared again.
        table.OnReply(failing, endPoint, Rtt, now);
        Assert.That(Share(table, kit.LocalId, 8, now), Is.EquivalentTo(new[] { failing, other }));
    }

    [Test]
    public void A_node_pending_an_eviction_ping_is_not_shared()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var far = kit.FillFarBucket(table, T0);
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(20);

        // A newcomer for the full far bucket: the least recently seen questionable node is to be pinged.
        RoutingOutcome outcome = table.OnReply(kit.IdAt(0), kit.NextEndPoint(), Rtt, now);
        Assert.That(outcome.ShouldPing, Is.True);
        NodeId victim = outcome.PingTarget.Id;
        Assert.That(far.Select(n => n.Id), Does.Contain(victim));

        NodeId[] shared = Share(table, far[0].Id, 16, now);
        Assert.That(shared, Has.Length.EqualTo(table.Count - 1));
        Assert.That(shared, Does.Not.Contain(victim));

        // The request lapses after a while without news: shared again.
        Assert.That(Share(table, far[0].Id, 16, now + RoutingTable.PingRequestLifetime), Does.Contain(victim));
    }

    [Test]
    public void Sharing_allocates_nothing()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 200; i++)
        {
            table.OnReply(kit.IdAt(kit.Random.Next(0, 20)), kit.NextEndPoint(), Rtt, i % 2 == 0 ? T0 : T0 + TimeSpan.FromMinutes(10));
        }

        var buffer = new NodeEntry[8];
        NodeId target = NodeId.CreateRandom(kit.Random);
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(20);
        table.FindClosestToShare(target, buffer, now);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            table.FindClosestToShare(target, buffer, now);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    internal static NodeId[] Share(RoutingTable table, NodeId target, int count, DateTimeOffset now)
    {
        var buffer = new NodeEntry[count];
        int written = table.FindClosestToShare(target, buffer, now);
        return [.. buffer.Take(written).Select(e => e.Id)];
    }
}
