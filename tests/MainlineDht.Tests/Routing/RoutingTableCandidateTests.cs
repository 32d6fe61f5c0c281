using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

public sealed class RoutingTableCandidateTests
{
    [Test]
    public void Nodes_that_only_queried_us_or_were_heard_of_never_enter_the_live_table()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 50; i++)
        {
            table.OnQuery(kit.IdAt(kit.Random.Next(0, 12)), kit.NextEndPoint(), T0);
            table.OnHeard(kit.IdAt(kit.Random.Next(0, 12)), kit.NextEndPoint(), T0);
        }

        Assert.That(table.Count, Is.Zero);
        Assert.That(table.BucketCount, Is.EqualTo(1), "hearsay never splits a bucket");
        Assert.That(table.ReplacementCount, Is.EqualTo(8), "candidates are bounded");
        Assert.That(table.FindClosest(kit.LocalId, 100, includeQuestionable: true, T0), Is.Empty);
        Assert.That(table.FindClosest(NodeId.CreateRandom(kit.Random), 100, includeQuestionable: true, T0), Is.Empty);
        Assert.That(table.Snapshot(T0), Is.Empty);
    }

    [Test]
    public void A_query_into_a_bucket_with_room_asks_for_a_ping_and_its_answer_brings_the_node_in()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        NodeId id = kit.IdAt(4);
        IPEndPoint ep = kit.NextEndPoint();

        Assert.That(table.OnQuery(id, ep, T0), Is.True);
        Assert.That(table.Contains(id), Is.False);
        Assert.That(table.OnQuery(id, ep, T0 + TimeSpan.FromSeconds(1)), Is.False, "a ping is already under way");

        Assert.That(table.OnReply(id, ep, Rtt, T0 + TimeSpan.FromSeconds(2)).Result, Is.EqualTo(RoutingResult.Added));
        table.TryGet(id, out NodeEntry? entry);
        Assert.That(entry!.LastQuery, Is.EqualTo(T0 + TimeSpan.FromSeconds(1)), "what it did while waiting is kept");
        Assert.That(table.ReplacementCount, Is.Zero);
    }

    [Test]
    public void A_candidate_that_fails_its_ping_is_forgotten()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        NodeId id = kit.IdAt(4);
        IPEndPoint ep = kit.NextEndPoint();
        Assert.That(table.OnHeard(id, ep, T0), Is.True);
        Assert.That(table.OnFailure(id, ep, T0 + TimeSpan.FromSeconds(5)).Result, Is.EqualTo(RoutingResult.Removed));
        Assert.That(table.ReplacementCount, Is.Zero);
        Assert.That(table.OnFailure(id, ep, T0 + TimeSpan.FromSeconds(5)), Is.EqualTo(RoutingOutcome.Ignored));
    }

    [Test]
    public void Queries_into_a_full_bucket_of_good_nodes_are_not_pinged()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);
        Assert.That(table.OnQuery(kit.IdAt(0), kit.NextEndPoint(), T0 + TimeSpan.FromMinutes(1)), Is.False);
        Assert.That(table.Buckets[0].Replacements.Length, Is.EqualTo(1));
    }

    [Test]
    public void A_query_into_a_bucket_with_questionable_nodes_asks_for_a_ping_but_hearsay_does_not()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(20);

        Assert.That(table.OnHeard(kit.IdAt(0), kit.NextEndPoint(), now), Is.False);
        Assert.That(table.OnQuery(kit.IdAt(0), kit.NextEndPoint(), now), Is.True);
    }

    [Test]
    public void Pings_to_verify_are_limited_by_what_the_bucket_can_use()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { BucketSize = 3, ReplacementCacheSize = 8 });
        var results = new List<bool>();
        for (int i = 0; i < 6; i++)
        {
            results.Add(table.OnHeard(kit.IdAt(0), kit.NextEndPoint(), T0 + TimeSpan.FromSeconds(i)));
        }

        Assert.That(results, Is.EqualTo(new[] { true, true, true, false, false, false }), "three slots, three pings");
        Assert.That(table.TakeCandidatesToVerify(10, T0 + TimeSpan.FromSeconds(10)), Is.Empty, "the three pings are still under way");

        // The pings were never reported back: after a minute the slots are open again, newest first.
        NodeContact[] taken = table.TakeCandidatesToVerify(10, T0 + TimeSpan.FromMinutes(2));
        Assert.That(taken, Has.Length.EqualTo(3));
        NodeContact[] waiting = table.Buckets[0].Replacements.ToArray().Select(r => new NodeContact(r.Id, r.EndPoint)).ToArray();
        Assert.That(taken, Is.EqualTo(new[] { waiting[5], waiting[4], waiting[3] }));
        Assert.That(table.TakeCandidatesToVerify(10, T0 + TimeSpan.FromMinutes(2)), Is.Empty);
    }

    [Test]
    public void TakeCandidatesToVerify_fills_empty_room_and_respects_max()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);

        // Bucket 0 is full of good nodes; the last bucket (ours) has 7 free slots.
        var candidates = new List<NodeContact>();
        for (int i = 0; i < 5; i++)
        {
            var far = new NodeContact(kit.IdAt(0), kit.NextEndPoint());
            Assert.That(table.OnHeard(far.Id, far.EndPoint, T0), Is.False);
            var near = new NodeContact(kit.IdAt(3), kit.NextEndPoint());
            Assert.That(table.OnHeard(near.Id, near.EndPoint, T0), Is.True);
            candidates.Add(near);
        }

        // The caller dropped those pings (say, rate limited); a minute later they are handed out again.
        DateTimeOffset later = T0 + TimeSpan.FromMinutes(1);
        NodeContact[] first = table.TakeCandidatesToVerify(2, later);
        Assert.That(first, Has.Length.EqualTo(2));
        NodeContact[] rest = table.TakeCandidatesToVerify(10, later);
        Assert.That(first.Concat(rest), Is.EquivalentTo(candidates), "only candidates of buckets with room");
    }

    [Test]
    public void A_verified_replacement_is_not_displaced_by_hearsay_about_its_endpoint_or_id()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { ReplacementCacheSize = 1 });
        kit.FillFarBucket(table, T0);
        NodeId waiting = kit.IdAt(0);
        IPEndPoint waitingEp = kit.NextEndPoint();
        table.OnReply(waiting, waitingEp, Rtt, T0);

        Assert.That(table.OnHeard(kit.IdAt(0), waitingEp, T0), Is.False);
        Assert.That(table.OnHeard(waiting, kit.NextEndPoint(), T0), Is.False);
        Assert.That(table.OnHeard(kit.IdAt(0), kit.NextEndPoint(), T0), Is.False);
        ReplacementEntry only = table.Buckets[0].Replacements[0];
        Assert.That((only.Id, only.EndPoint, only.IsVerified), Is.EqualTo((waiting, waitingEp, true)));
    }

    [Test]
    public void Hearsay_about_a_live_endpoint_with_another_id_is_not_kept()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (_, var ep) = kit.AddLive(table, kit.IdAt(3), T0);
        Assert.That(table.OnHeard(kit.IdAt(5), ep, T0), Is.False);
        Assert.That(table.ReplacementCount, Is.Zero);

        // A query really coming from that endpoint with a new id is worth a ping: the node may have restarted.
        Assert.That(table.OnQuery(kit.IdAt(5), ep, T0), Is.True);
    }

    [Test]
    public void A_full_bucket_that_holds_our_id_still_verifies_queriers_because_it_can_split()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 4; i++)
        {
            kit.AddLive(table, kit.IdAt(0), T0);
            kit.AddLive(table, kit.IdAt(2), T0);
        }

        Assert.That(table.BucketCount, Is.EqualTo(1));
        NodeId querier = kit.IdAt(5);
        IPEndPoint endPoint = kit.NextEndPoint();
        Assert.That(table.OnQuery(querier, endPoint, T0), Is.True, "our own bucket can split, so a querier is worth verifying");
        Assert.That(table.OnReply(querier, endPoint, Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.BucketCount, Is.GreaterThan(1));
    }
}
