using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

public sealed class RoutingTableTests
{
    private static readonly TimeSpan Minutes16 = TimeSpan.FromMinutes(16);

    [Test]
    public void Our_own_id_is_never_added()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        IPEndPoint ep = kit.NextEndPoint();

        Assert.That(table.OnReply(kit.LocalId, ep, Rtt, T0).Result, Is.EqualTo(RoutingResult.Ignored));
        Assert.That(table.OnQuery(kit.LocalId, ep, T0), Is.False);
        Assert.That(table.OnHeard(kit.LocalId, ep, T0), Is.False);
        Assert.That(table.Count, Is.Zero);
        Assert.That(table.ReplacementCount, Is.Zero);
    }

    [Test]
    public void Unusable_endpoints_are_ignored()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        Assert.That(table.OnReply(kit.IdAt(1), new IPEndPoint(IPAddress.Loopback, 0), Rtt, T0).Result, Is.EqualTo(RoutingResult.Ignored));
        Assert.That(table.OnReply(kit.IdAt(1), new IPEndPoint(IPAddress.Any, 6881), Rtt, T0).Result, Is.EqualTo(RoutingResult.Ignored));
        Assert.That(table.OnReply(kit.IdAt(1), new IPEndPoint(IPAddress.IPv6Loopback, 6881), Rtt, T0).Result, Is.EqualTo(RoutingResult.Ignored), "an IPv4 table holds no IPv6 node");
        Assert.That(table.Count, Is.Zero);

        var v6 = new RoutingTable(kit.LocalId, AddressFamily.InterNetworkV6);
        Assert.That(v6.OnReply(kit.IdAt(1), new IPEndPoint(IPAddress.IPv6Loopback, 6881), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
    }

    [Test]
    public void Bad_options_are_refused()
    {
        var id = NodeId.CreateRandom(new Random(1));
        Assert.That(() => new RoutingTable(id, AddressFamily.InterNetwork, new RoutingTableOptions { BucketSize = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new RoutingTable(id, AddressFamily.InterNetwork, new RoutingTableOptions { MaxFailures = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new RoutingTable(id, AddressFamily.InterNetwork, new RoutingTableOptions { GoodFor = TimeSpan.Zero }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new RoutingTable(id, AddressFamily.Unix), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void A_node_answering_again_is_updated_not_duplicated()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, var ep) = kit.AddLive(table, kit.IdAt(4), T0);
        Assert.That(table.OnReply(id, ep, Rtt, T0 + TimeSpan.FromMinutes(1)).Result, Is.EqualTo(RoutingResult.Updated));
        Assert.That(table.Count, Is.EqualTo(1));
        table.TryGet(id, out NodeEntry? entry);
        Assert.That(entry!.LastReply, Is.EqualTo(T0 + TimeSpan.FromMinutes(1)));
        Assert.That(entry.Added, Is.EqualTo(T0));
    }

    [Test]
    public void A_full_far_bucket_never_splits()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);
        int buckets = table.BucketCount;

        for (int i = 0; i < 100; i++)
        {
            RoutingOutcome outcome = table.OnReply(kit.IdAt(0), kit.NextEndPoint(), Rtt, T0 + TimeSpan.FromSeconds(i));
            Assert.That(outcome.Result, Is.EqualTo(RoutingResult.Cached));
            Assert.That(outcome.ShouldPing, Is.False, "all nodes are good: nobody is pinged");
        }

        Assert.That(table.BucketCount, Is.EqualTo(buckets));
        Assert.That(table.Buckets[0].Count, Is.EqualTo(8));
        Assert.That(table.Buckets[0].Replacements.Length, Is.EqualTo(8), "the replacement cache is bounded");
    }

    [Test]
    public void Only_the_bucket_holding_our_id_splits()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();

        // Nine nodes for each common prefix length 0..29: every bucket overflows once.
        for (int cpl = 0; cpl < 30; cpl++)
        {
            for (int i = 0; i < 9; i++)
            {
                table.OnReply(kit.IdAt(cpl), kit.NextEndPoint(), Rtt, T0);
            }
        }

        // Buckets 0..29 are far buckets (8 each, the ninth cached); the last, ours, is empty.
        Assert.That(table.BucketCount, Is.EqualTo(31));
        for (int i = 0; i < 30; i++)
        {
            RoutingBucket bucket = table.Buckets[i];
            Assert.That(bucket.PrefixLength, Is.EqualTo(i + 1));
            Assert.That(bucket.Count, Is.EqualTo(8));
            Assert.That(bucket.Replacements.Length, Is.EqualTo(1));
            Assert.That(bucket.Covers(kit.LocalId), Is.False);
            foreach (NodeEntry e in bucket.Nodes)
            {
                Assert.That(bucket.Covers(e.Id), Is.True);
                Assert.That(kit.LocalId.CommonPrefixLength(e.Id), Is.EqualTo(i));
            }
        }

        Assert.That(table.Buckets[^1].Covers(kit.LocalId), Is.True);
        Assert.That(table.Count, Is.EqualTo(240));

        // More far nodes do not add buckets.
        for (int i = 0; i < 50; i++)
        {
            table.OnReply(kit.IdAt(kit.Random.Next(0, 30)), kit.NextEndPoint(), Rtt, T0);
        }

        Assert.That(table.BucketCount, Is.EqualTo(31));
        Assert.That(table.Count, Is.EqualTo(240));
    }

    [Test]
    public void The_table_never_has_more_than_160_buckets()
    {
        // With K = 1 two ids per common prefix length overflow our bucket at every depth.
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { BucketSize = 1 });
        NodeId lastBit = NodeId.PrefixMask(160) ^ NodeId.PrefixMask(159);
        for (int round = 0; round < 2; round++)
        {
            for (int cpl = 0; cpl < 160; cpl++)
            {
                NodeId a = kit.IdAt(cpl);
                table.OnReply(a, kit.NextEndPoint(), Rtt, T0);
                if (cpl < 159)
                {
                    table.OnReply(a ^ lastBit, kit.NextEndPoint(), Rtt, T0);
                }
            }

            Assert.That(table.BucketCount, Is.EqualTo(RoutingTable.MaxBuckets));
        }

        Assert.That(table.Buckets[^1].PrefixLength, Is.EqualTo(159));
        Assert.That(table.Buckets[^1].Count, Is.EqualTo(1), "only one id differs from ours in just the last bit");
        Assert.That(table.Count, Is.EqualTo(160));
        Assert.That(table.Buckets.Max(b => b.Count), Is.EqualTo(1));
    }

    [Test]
    public void A_full_bucket_with_a_questionable_node_asks_to_ping_it_and_a_failure_promotes_the_newcomer()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);

        // All but nodes[3] answer again later: nodes[3] is the least recently seen.
        DateTimeOffset later = T0 + TimeSpan.FromSeconds(30);
        foreach (var (id, ep) in nodes.Where((_, i) => i != 3))
        {
            table.OnReply(id, ep, Rtt, later);
        }

        DateTimeOffset now = T0 + Minutes16;
        NodeId newcomer = kit.IdAt(0);
        IPEndPoint newcomerEp = kit.NextEndPoint();
        RoutingOutcome outcome = table.OnReply(newcomer, newcomerEp, Rtt, now);

        Assert.That(outcome.Result, Is.EqualTo(RoutingResult.Cached));
        Assert.That(outcome.PingReason, Is.EqualTo(PingReason.Evict));
        Assert.That(outcome.PingTarget, Is.EqualTo(new NodeContact(nodes[3].Id, nodes[3].EndPoint)));
        Assert.That(table.Contains(newcomer), Is.False, "it waits until the questionable node fails");
        table.TryGet(nodes[3].Id, out NodeEntry? victim);
        Assert.That(victim!.EvictionPingRequested, Is.EqualTo(now));

        // Another newcomer before the ping ends: a second verified replacement, a second ping.
        NodeId second = kit.IdAt(0);
        RoutingOutcome outcome2 = table.OnReply(second, kit.NextEndPoint(), Rtt, now + TimeSpan.FromSeconds(1));
        Assert.That(outcome2.PingReason, Is.EqualTo(PingReason.Evict));
        Assert.That(outcome2.PingTarget.Id, Is.Not.EqualTo(nodes[3].Id));

        RoutingOutcome failed = table.OnFailure(nodes[3].Id, nodes[3].EndPoint, now + TimeSpan.FromSeconds(5));
        Assert.That(failed.Result, Is.EqualTo(RoutingResult.Removed));
        Assert.That(table.Contains(nodes[3].Id), Is.False);
        Assert.That(table.Contains(second), Is.True, "the most recently answering replacement takes the place");
        Assert.That(table.Contains(newcomer), Is.False);
        Assert.That(table.Buckets[0].Count, Is.EqualTo(8));
        table.TryGet(second, out NodeEntry? promoted);
        Assert.That(promoted!.LastReply, Is.EqualTo(now + TimeSpan.FromSeconds(1)));
        Assert.That(promoted.Added, Is.EqualTo(now + TimeSpan.FromSeconds(5)));
        Assert.That(table.Buckets[0].LastChanged, Is.EqualTo(now + TimeSpan.FromSeconds(5)));
    }

    [Test]
    public void A_questionable_node_that_answers_its_eviction_ping_stays_and_the_next_one_is_pinged()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);
        DateTimeOffset now = T0 + Minutes16;

        NodeId newcomer = kit.IdAt(0);
        RoutingOutcome outcome = table.OnReply(newcomer, kit.NextEndPoint(), Rtt, now);
        Assert.That(outcome.PingReason, Is.EqualTo(PingReason.Evict));
        NodeContact first = outcome.PingTarget;

        RoutingOutcome answered = table.OnReply(first.Id, first.EndPoint, Rtt, now + TimeSpan.FromSeconds(1));
        Assert.That(answered.Result, Is.EqualTo(RoutingResult.Updated));
        Assert.That(table.Contains(first.Id), Is.True);
        Assert.That(table.Contains(newcomer), Is.False, "the newcomer keeps waiting in the cache");
        Assert.That(table.Buckets[0].FindReplacement(newcomer)!.IsVerified, Is.True);

        // The next least recently seen questionable node is asked for.
        Assert.That(answered.PingReason, Is.EqualTo(PingReason.Evict));
        Assert.That(answered.PingTarget.Id, Is.Not.EqualTo(first.Id));
        Assert.That(nodes.Select(n => n.Id), Has.Member(answered.PingTarget.Id));
    }

    [Test]
    public void Once_every_node_has_answered_no_more_eviction_pings_are_asked_for()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);
        DateTimeOffset now = T0 + Minutes16;

        RoutingOutcome outcome = table.OnReply(kit.IdAt(0), kit.NextEndPoint(), Rtt, now);
        int pings = 0;
        while (outcome.ShouldPing)
        {
            pings++;
            Assert.That(pings, Is.LessThanOrEqualTo(8));
            outcome = table.OnReply(outcome.PingTarget.Id, outcome.PingTarget.EndPoint, Rtt, now);
        }

        Assert.That(pings, Is.EqualTo(8));
        Assert.That(table.Buckets[0].Nodes.ToArray().All(e => table.GetState(e, now) == NodeState.Good), Is.True);
    }

    [Test]
    public void A_bad_node_is_replaced_at_once()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);
        table.OnFailure(nodes[5].Id, nodes[5].EndPoint, T0 + TimeSpan.FromSeconds(1));
        table.OnFailure(nodes[5].Id, nodes[5].EndPoint, T0 + TimeSpan.FromSeconds(2));

        NodeId newcomer = kit.IdAt(0);
        RoutingOutcome outcome = table.OnReply(newcomer, kit.NextEndPoint(), Rtt, T0 + TimeSpan.FromSeconds(3));
        Assert.That(outcome, Is.EqualTo(RoutingOutcome.Of(RoutingResult.Added)));
        Assert.That(table.Contains(newcomer), Is.True);
        Assert.That(table.Contains(nodes[5].Id), Is.False);
        Assert.That(table.Buckets[0].Count, Is.EqualTo(8));
    }

    [Test]
    public void A_node_turning_bad_is_replaced_by_a_waiting_verified_replacement()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);
        NodeId waiting = kit.IdAt(0);
        Assert.That(table.OnReply(waiting, kit.NextEndPoint(), Rtt, T0 + TimeSpan.FromSeconds(1)).Result, Is.EqualTo(RoutingResult.Cached));

        Assert.That(table.OnFailure(nodes[0].Id, nodes[0].EndPoint, T0 + TimeSpan.FromSeconds(2)).Result, Is.EqualTo(RoutingResult.FailureCounted));
        Assert.That(table.Contains(waiting), Is.False, "one failure of a good node evicts nothing");
        Assert.That(table.OnFailure(nodes[0].Id, nodes[0].EndPoint, T0 + TimeSpan.FromSeconds(3)).Result, Is.EqualTo(RoutingResult.Removed));
        Assert.That(table.Contains(waiting), Is.True);
        Assert.That(table.Contains(nodes[0].Id), Is.False);
    }

    [Test]
    public void A_bad_node_with_only_unverified_candidates_waiting_asks_to_verify_one()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);
        NodeId heard = kit.IdAt(0);
        IPEndPoint heardEp = kit.NextEndPoint();
        Assert.That(table.OnHeard(heard, heardEp, T0), Is.False, "a full bucket of good nodes needs nobody");

        table.OnFailure(nodes[0].Id, nodes[0].EndPoint, T0 + TimeSpan.FromSeconds(1));
        RoutingOutcome outcome = table.OnFailure(nodes[0].Id, nodes[0].EndPoint, T0 + TimeSpan.FromSeconds(2));
        Assert.That(outcome.Result, Is.EqualTo(RoutingResult.FailureCounted));
        Assert.That(outcome.PingReason, Is.EqualTo(PingReason.Verify));
        Assert.That(outcome.PingTarget, Is.EqualTo(new NodeContact(heard, heardEp)));

        Assert.That(table.OnReply(heard, heardEp, Rtt, T0 + TimeSpan.FromSeconds(3)).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.Contains(nodes[0].Id), Is.False);
    }

    [Test]
    public void The_replacement_cache_is_bounded_and_the_newest_win()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { ReplacementCacheSize = 3 });
        kit.FillFarBucket(table, T0);
        var newcomers = new List<NodeId>();
        for (int i = 0; i < 10; i++)
        {
            NodeId id = kit.IdAt(0);
            newcomers.Add(id);
            Assert.That(table.OnReply(id, kit.NextEndPoint(), Rtt, T0 + TimeSpan.FromSeconds(i)).Result, Is.EqualTo(RoutingResult.Cached));
        }

        Assert.That(table.Buckets[0].Replacements.ToArray().Select(r => r.Id), Is.EquivalentTo(newcomers.TakeLast(3)));
        Assert.That(table.Buckets[0].Count, Is.EqualTo(8));
    }

    [Test]
    public void With_no_replacement_cache_a_full_bucket_drops_newcomers()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable(new RoutingTableOptions { ReplacementCacheSize = 0 });
        kit.FillFarBucket(table, T0);
        RoutingOutcome outcome = table.OnReply(kit.IdAt(0), kit.NextEndPoint(), Rtt, T0 + Minutes16);
        Assert.That(outcome.Result, Is.EqualTo(RoutingResult.Ignored));
        Assert.That(outcome.ShouldPing, Is.False, "no replacement to put in the place of an evicted node");
        Assert.That(table.ReplacementCount, Is.Zero);
    }

    [Test]
    public void The_same_id_at_another_endpoint_does_not_overwrite_a_working_entry()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, var ep) = kit.AddLive(table, kit.IdAt(2), T0);
        IPEndPoint hijacker = kit.NextEndPoint();

        Assert.That(table.OnReply(id, hijacker, Rtt, T0 + TimeSpan.FromHours(1)), Is.EqualTo(RoutingOutcome.Rejected), "not even a questionable one");
        table.TryGet(id, out NodeEntry? entry);
        Assert.That(entry!.EndPoint, Is.EqualTo(ep));
        Assert.That(table.Count, Is.EqualTo(1));
        Assert.That(table.OnQuery(id, hijacker, T0 + TimeSpan.FromHours(1)), Is.False);
        Assert.That(table.OnHeard(id, hijacker, T0 + TimeSpan.FromHours(1)), Is.False);
        Assert.That(table.ReplacementCount, Is.Zero);
        Assert.That(table.OnFailure(id, hijacker, T0 + TimeSpan.FromHours(1)), Is.EqualTo(RoutingOutcome.Ignored));
        Assert.That(entry.FailureCount, Is.Zero);
    }

    [Test]
    public void The_same_id_at_another_endpoint_replaces_a_bad_entry()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var id, var ep) = kit.AddLive(table, kit.IdAt(2), T0);
        table.OnFailure(id, ep, T0);
        table.OnFailure(id, ep, T0);
        IPEndPoint moved = kit.NextEndPoint();

        Assert.That(table.OnReply(id, moved, Rtt, T0 + TimeSpan.FromMinutes(1)).Result, Is.EqualTo(RoutingResult.Added));
        table.TryGet(id, out NodeEntry? entry);
        Assert.That(entry!.EndPoint, Is.EqualTo(moved));
        Assert.That(table.GetState(entry, T0 + TimeSpan.FromMinutes(1)), Is.EqualTo(NodeState.Good));
        Assert.That(table.Count, Is.EqualTo(1));
    }

    [Test]
    public void The_same_endpoint_answering_with_another_id_replaces_the_old_entry()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var oldId, var ep) = kit.AddLive(table, kit.IdAt(2), T0);
        NodeId newId = kit.IdAt(7);

        Assert.That(table.OnReply(newId, ep, Rtt, T0 + TimeSpan.FromMinutes(1)).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.Contains(oldId), Is.False);
        Assert.That(table.Contains(newId), Is.True);
        Assert.That(table.Count, Is.EqualTo(1));
    }

    [Test]
    public void A_displaced_entry_leaves_room_for_a_waiting_replacement()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);
        NodeId waiting = kit.IdAt(0);
        table.OnReply(waiting, kit.NextEndPoint(), Rtt, T0);

        // nodes[2]'s endpoint now answers with an id in another bucket.
        table.OnReply(kit.IdAt(1), nodes[2].EndPoint, Rtt, T0 + TimeSpan.FromSeconds(1));
        Assert.That(table.Contains(nodes[2].Id), Is.False);
        Assert.That(table.Contains(waiting), Is.True);
        Assert.That(table.Buckets[0].Count, Is.EqualTo(8));
    }

    [Test]
    public void Remove_takes_a_node_out_and_a_verified_replacement_in()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = kit.FillFarBucket(table, T0);
        NodeId waiting = kit.IdAt(0);
        table.OnReply(waiting, kit.NextEndPoint(), Rtt, T0);

        Assert.That(table.Remove(nodes[1].Id, T0 + TimeSpan.FromSeconds(1)), Is.True);
        Assert.That(table.Contains(nodes[1].Id), Is.False);
        Assert.That(table.Contains(waiting), Is.True);
        Assert.That(table.Remove(nodes[1].Id, T0 + TimeSpan.FromSeconds(1)), Is.False);
    }

    [Test]
    public void Splitting_moves_nodes_and_waiting_candidates_into_their_halves()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var far = Enumerable.Range(0, 4).Select(_ => kit.AddLive(table, kit.IdAt(0), T0).Id).ToList();
        var near = Enumerable.Range(0, 4).Select(_ => kit.AddLive(table, kit.IdAt(2), T0).Id).ToList();
        Assert.That(table.BucketCount, Is.EqualTo(1));

        // The single bucket is full of good nodes, but it holds our id and splits when a verified
        // node arrives: hearsay waits in its cache and is worth a ping to verify.
        NodeId farHeard = kit.IdAt(0);
        NodeId nearHeard = kit.IdAt(5);
        Assert.That(table.OnHeard(farHeard, kit.NextEndPoint(), T0), Is.True);
        Assert.That(table.OnHeard(nearHeard, kit.NextEndPoint(), T0), Is.True);
        Assert.That(table.ReplacementCount, Is.EqualTo(2));

        NodeId newcomer = kit.IdAt(1);
        Assert.That(table.OnReply(newcomer, kit.NextEndPoint(), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.BucketCount, Is.EqualTo(2));
        Assert.That(table.Buckets[0].Nodes.ToArray().Select(e => e.Id), Is.EquivalentTo(far));
        Assert.That(table.Buckets[1].Nodes.ToArray().Select(e => e.Id), Is.EquivalentTo(near.Append(newcomer)));
        Assert.That(table.Buckets[0].Replacements.ToArray().Select(r => r.Id), Is.EqualTo(new[] { farHeard }));
        Assert.That(table.Buckets[1].Replacements.ToArray().Select(r => r.Id), Is.EqualTo(new[] { nearHeard }));
        Assert.That(table.Count, Is.EqualTo(9));
    }

    [Test]
    public void Far_nodes_split_the_first_bucket_once_and_then_wait()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var far = Enumerable.Range(0, 8).Select(_ => kit.AddLive(table, kit.IdAt(0), T0)).ToList();
        Assert.That(table.BucketCount, Is.EqualTo(1));

        // The single bucket still holds our id, so it splits; the newcomer lands in the full far half.
        Assert.That(table.OnReply(kit.IdAt(0), kit.NextEndPoint(), Rtt, T0).Result, Is.EqualTo(RoutingResult.Cached));
        Assert.That(table.BucketCount, Is.EqualTo(2));
        Assert.That(table.Buckets[0].Count, Is.EqualTo(8));
        Assert.That(table.Buckets[1].Count, Is.Zero);
        Assert.That(far.All(n => table.Contains(n.Id)), Is.True);
    }
}
