using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

public sealed class NodeStateTests
{
    private static readonly TimeSpan Minutes15 = TimeSpan.FromMinutes(15);

    [Test]
    public void A_node_that_answered_is_good_until_exactly_15_minutes_then_questionable()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, _) = kit.AddLive(table, kit.IdAt(3), T0);
        Assert.That(table.TryGet(id, out NodeEntry? entry), Is.True);

        Assert.That(table.GetState(entry!, T0), Is.EqualTo(NodeState.Good));
        Assert.That(table.GetState(entry!, T0 + Minutes15 - TimeSpan.FromTicks(1)), Is.EqualTo(NodeState.Good));
        Assert.That(table.GetState(entry!, T0 + Minutes15), Is.EqualTo(NodeState.Questionable));
        Assert.That(table.GetState(entry!, T0 + TimeSpan.FromHours(5)), Is.EqualTo(NodeState.Questionable));
    }

    [Test]
    public void A_node_that_answered_once_and_queried_us_recently_is_good()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, var ep) = kit.AddLive(table, kit.IdAt(3), T0);
        table.TryGet(id, out NodeEntry? entry);

        DateTimeOffset queried = T0 + TimeSpan.FromHours(1);
        Assert.That(table.OnQuery(id, ep, queried), Is.False, "a live node is not pinged because it queried us");
        Assert.That(entry!.LastQuery, Is.EqualTo(queried));
        Assert.That(table.GetState(entry, queried + TimeSpan.FromMinutes(14)), Is.EqualTo(NodeState.Good));
        Assert.That(table.GetState(entry, queried + Minutes15), Is.EqualTo(NodeState.Questionable));
    }

    [Test]
    public void A_query_from_the_same_id_at_another_endpoint_does_not_keep_the_node_good()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, _) = kit.AddLive(table, kit.IdAt(3), T0);
        table.TryGet(id, out NodeEntry? entry);

        DateTimeOffset queried = T0 + TimeSpan.FromHours(1);
        Assert.That(table.OnQuery(id, kit.NextEndPoint(), queried), Is.False);
        Assert.That(entry!.LastQuery, Is.Null);
        Assert.That(table.GetState(entry, queried), Is.EqualTo(NodeState.Questionable));
    }

    [Test]
    public void Two_failures_in_a_row_make_a_node_bad_and_an_answer_makes_it_good_again()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, var ep) = kit.AddLive(table, kit.IdAt(3), T0);
        table.TryGet(id, out NodeEntry? entry);

        Assert.That(table.OnFailure(id, ep, T0 + TimeSpan.FromSeconds(10)).Result, Is.EqualTo(RoutingResult.FailureCounted));
        Assert.That(entry!.FailureCount, Is.EqualTo(1));
        Assert.That(table.GetState(entry, T0 + TimeSpan.FromSeconds(10)), Is.EqualTo(NodeState.Good), "one failure is not bad yet");

        Assert.That(table.OnFailure(id, ep, T0 + TimeSpan.FromSeconds(20)).Result, Is.EqualTo(RoutingResult.FailureCounted));
        Assert.That(table.GetState(entry, T0 + TimeSpan.FromSeconds(20)), Is.EqualTo(NodeState.Bad), "bad even though it answered 20 s ago");
        Assert.That(table.Contains(id), Is.True, "a bad node stays until something replaces it");

        Assert.That(table.OnReply(id, ep, Rtt, T0 + TimeSpan.FromSeconds(30)).Result, Is.EqualTo(RoutingResult.Updated));
        Assert.That(entry.FailureCount, Is.Zero);
        Assert.That(table.GetState(entry, T0 + TimeSpan.FromSeconds(30)), Is.EqualTo(NodeState.Good));
    }

    [Test]
    public void Failures_are_counted_in_a_row_only()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, var ep) = kit.AddLive(table, kit.IdAt(3), T0);
        table.TryGet(id, out NodeEntry? entry);

        table.OnFailure(id, ep, T0);
        table.OnReply(id, ep, Rtt, T0 + TimeSpan.FromSeconds(1));
        table.OnFailure(id, ep, T0 + TimeSpan.FromSeconds(2));
        Assert.That(table.GetState(entry!, T0 + TimeSpan.FromSeconds(2)), Is.EqualTo(NodeState.Good));
        Assert.That(entry!.FailureCount, Is.EqualTo(1));
    }

    [Test]
    public void MaxFailures_is_configurable()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { MaxFailures = 3 });
        (var id, var ep) = kit.AddLive(table, kit.IdAt(3), T0);
        table.TryGet(id, out NodeEntry? entry);
        table.OnFailure(id, ep, T0);
        table.OnFailure(id, ep, T0);
        Assert.That(table.GetState(entry!, T0), Is.EqualTo(NodeState.Good));
        table.OnFailure(id, ep, T0);
        Assert.That(table.GetState(entry!, T0), Is.EqualTo(NodeState.Bad));
    }

    [Test]
    public void Round_trip_time_is_smoothed()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var id = kit.IdAt(3);
        var ep = kit.NextEndPoint();
        table.OnReply(id, ep, TimeSpan.FromMilliseconds(100), T0);
        table.TryGet(id, out NodeEntry? entry);
        Assert.That(entry!.RoundTripTime, Is.EqualTo(TimeSpan.FromMilliseconds(100)));

        table.OnReply(id, ep, TimeSpan.FromMilliseconds(900), T0 + TimeSpan.FromSeconds(1));
        Assert.That(entry.RoundTripTime, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
    }

    [Test]
    public void Snapshot_reports_each_entry_with_its_state()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var a, var epA) = kit.AddLive(table, kit.IdAt(2), T0);
        (var b, var epB) = kit.AddLive(table, kit.IdAt(5), T0 + TimeSpan.FromMinutes(10));
        table.OnFailure(b, epB, T0 + TimeSpan.FromMinutes(11));
        table.OnFailure(b, epB, T0 + TimeSpan.FromMinutes(12));
        table.OnQuery(a, epA, T0 + TimeSpan.FromMinutes(13));

        RoutingTableEntry[] snapshot = table.Snapshot(T0 + TimeSpan.FromMinutes(20));
        Assert.That(snapshot, Has.Length.EqualTo(2));
        RoutingTableEntry sa = snapshot.Single(e => e.Id == a);
        RoutingTableEntry sb = snapshot.Single(e => e.Id == b);
        Assert.That(sa, Is.EqualTo(new RoutingTableEntry(a, epA, T0, T0, T0 + TimeSpan.FromMinutes(13), 0, Rtt, NodeState.Good)));
        Assert.That(sb.State, Is.EqualTo(NodeState.Bad));
        Assert.That(sb.FailureCount, Is.EqualTo(2));
        Assert.That(sb.LastQuery, Is.Null);
        Assert.That(sb.EndPoint, Is.EqualTo(epB));
    }
}
