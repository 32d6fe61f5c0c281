using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

public sealed class RoutingTableFindClosestTests
{
    [Test]
    public void Results_are_ordered_by_xor_distance_and_bad_nodes_are_left_out()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        var nodes = Enumerable.Range(0, 6).Select(i => kit.AddLive(table, kit.IdAt(i), T0)).ToList();
        table.OnFailure(nodes[2].Id, nodes[2].EndPoint, T0);
        table.OnFailure(nodes[2].Id, nodes[2].EndPoint, T0);

        NodeEntry[] closest = table.FindClosest(kit.LocalId, 10, includeQuestionable: true, T0);
        Assert.That(closest.Select(e => e.Id), Is.EqualTo(new[] { nodes[5].Id, nodes[4].Id, nodes[3].Id, nodes[1].Id, nodes[0].Id }));
    }

    [Test]
    public void Questionable_nodes_are_left_out_when_asked()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (var old, _) = kit.AddLive(table, kit.IdAt(1), T0);
        (var fresh, _) = kit.AddLive(table, kit.IdAt(2), T0 + TimeSpan.FromMinutes(10));
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(20);

        Assert.That(table.FindClosest(kit.LocalId, 8, includeQuestionable: true, now).Select(e => e.Id), Is.EqualTo(new[] { fresh, old }));
        Assert.That(table.FindClosest(kit.LocalId, 8, includeQuestionable: false, now).Select(e => e.Id), Is.EqualTo(new[] { fresh }));

        // The same 15-minute edge as the node states.
        DateTimeOffset edge = T0 + TimeSpan.FromMinutes(25);
        Assert.That(table.FindClosest(kit.LocalId, 8, includeQuestionable: false, edge - TimeSpan.FromTicks(1)).Select(e => e.Id), Is.EqualTo(new[] { fresh }));
        Assert.That(table.FindClosest(kit.LocalId, 8, includeQuestionable: false, edge), Is.Empty);
    }

    [Test]
    public void The_span_overload_writes_only_what_fits()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 40; i++)
        {
            table.OnReply(kit.IdAt(kit.Random.Next(0, 8)), kit.NextEndPoint(), Rtt, T0);
        }

        var buffer = new NodeEntry[3];
        Assert.That(table.FindClosest(NodeId.CreateRandom(kit.Random), buffer, includeQuestionable: true, T0), Is.EqualTo(3));
        Assert.That(buffer, Has.None.Null);
        Assert.That(table.FindClosest(kit.LocalId, Span<NodeEntry>.Empty, includeQuestionable: true, T0), Is.Zero);
        Assert.That(new RoutingTable(kit.LocalId).FindClosest(kit.LocalId, 8, includeQuestionable: true, T0), Is.Empty);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void FindClosest_equals_a_brute_force_sort_on_random_tables(int seed)
    {
        var kit = new RoutingTestKit(seed);
        Random random = kit.Random;
        RoutingTable table = kit.NewTable();
        DateTimeOffset now = T0 + TimeSpan.FromMinutes(30);
        var known = new List<(NodeId Id, IPEndPoint EndPoint)>();

        // Thousands of nodes, most of them close to our id, so the table grows deep.
        for (int i = 0; i < 6000; i++)
        {
            NodeId id = random.Next(4) == 0 ? NodeId.CreateRandom(random) : kit.IdAt(random.Next(0, 160));
            IPEndPoint ep = kit.NextEndPoint();
            DateTimeOffset at = T0 + TimeSpan.FromSeconds(random.Next(0, 30 * 60));
            switch (random.Next(10))
            {
                case 0:
                    table.OnHeard(id, ep, at);
                    break;
                case 1:
                    table.OnQuery(id, ep, at);
                    break;
                default:
                    table.OnReply(id, ep, Rtt, at);
                    known.Add((id, ep));
                    break;
            }

            if (random.Next(8) == 0 && known.Count > 0)
            {
                var (failId, failEp) = known[random.Next(known.Count)];
                table.OnFailure(failId, failEp, at);
            }
        }

        // Some nodes go silent at the end: bad where no verified replacement waits for their place.
        for (int pass = 0; pass < 2; pass++)
        {
            foreach (RoutingTableEntry victim in table.Snapshot(now))
            {
                if (random.Next(10) < 6)
                {
                    table.OnFailure(victim.Id, victim.EndPoint, now);
                    table.OnFailure(victim.Id, victim.EndPoint, now);
                }
            }
        }

        AssertInvariants(table, kit);
        Assert.That(table.Count, Is.GreaterThan(600), "the table should be deep");
        Assert.That(table.BucketCount, Is.GreaterThan(100));

        RoutingTableEntry[] all = table.Snapshot(now);
        TestContext.Out.WriteLine(
            $"{table.Count} live in {table.BucketCount} buckets ({all.Count(e => e.State == NodeState.Good)} good, " +
            $"{all.Count(e => e.State == NodeState.Questionable)} questionable, {all.Count(e => e.State == NodeState.Bad)} bad), {table.ReplacementCount} waiting");
        Assert.That(all.Count(e => e.State == NodeState.Bad), Is.Positive);
        Assert.That(all.Count(e => e.State == NodeState.Questionable), Is.Positive);
        var buffer = new NodeEntry[600];
        for (int t = 0; t < 300; t++)
        {
            NodeId target = (t % 5) switch
            {
                0 => NodeId.CreateRandom(random),
                1 => kit.IdAt(random.Next(0, 160)),
                2 => all[random.Next(all.Length)].Id,
                3 => all[random.Next(all.Length)].Id ^ NodeId.PrefixMask(random.Next(140, 161)) ^ NodeId.PrefixMask(140),
                _ => kit.LocalId,
            };

            foreach (bool includeQuestionable in new[] { true, false })
            {
                foreach (int count in new[] { 1, 8, 20, 600 })
                {
                    NodeId[] expected = all
                        .Where(e => e.State == NodeState.Good || (includeQuestionable && e.State == NodeState.Questionable))
                        .Select(e => e.Id)
                        .OrderBy(id => id ^ target)
                        .Take(count)
                        .ToArray();
                    int written = table.FindClosest(target, buffer.AsSpan(0, count), includeQuestionable, now);
                    NodeId[] actual = buffer.Take(written).Select(e => e.Id).ToArray();
                    Assert.That(actual, Is.EqualTo(expected), $"seed {seed}, target {target}, count {count}, questionable {includeQuestionable}");
                }
            }

            // What replies hand out: the closest good nodes, questionable ones only to fill up; never
            // one with a failure outstanding or an eviction ping pending.
            foreach (int count in new[] { 1, 8, 20, 600 })
            {
                RoutingTableEntry[] shareable = [.. all.Where(e => e.FailureCount == 0 && !PingPending(table, e.Id, now))];
                NodeId[] good = [.. shareable.Where(e => e.State == NodeState.Good).Select(e => e.Id).OrderBy(id => id ^ target).Take(count)];
                NodeId[] fill = [.. shareable.Where(e => e.State == NodeState.Questionable).Select(e => e.Id).OrderBy(id => id ^ target).Take(count - good.Length)];
                NodeId[] expected = [.. good.Concat(fill).OrderBy(id => id ^ target)];
                int written = table.FindClosestToShare(target, buffer.AsSpan(0, count), now);
                Assert.That(buffer.Take(written).Select(e => e.Id), Is.EqualTo(expected), $"seed {seed}, target {target}, count {count}, shared");
            }
        }
    }

    private static bool PingPending(RoutingTable table, NodeId id, DateTimeOffset now) =>
        table.TryGet(id, out NodeEntry? entry) && entry.EvictionPingRequested is { } at && now - at < RoutingTable.PingRequestLifetime;

    [Test]
    public void Buckets_are_visited_in_order_of_their_distance_to_the_target()
    {
        var kit = new RoutingTestKit(42);
        RoutingTable table = kit.NewTable();
        for (int cpl = 0; cpl < 40; cpl++)
        {
            for (int i = 0; i < 9; i++)
            {
                table.OnReply(kit.IdAt(cpl), kit.NextEndPoint(), Rtt, T0);
            }
        }

        Span<byte> order = stackalloc byte[table.BucketCount];
        for (int t = 0; t < 500; t++)
        {
            NodeId target = t % 2 == 0 ? NodeId.CreateRandom(kit.Random) : kit.IdAt(kit.Random.Next(0, 60));
            table.GetBucketOrder(target, order);
            Assert.That(order.ToArray().Distinct().Count(), Is.EqualTo(table.BucketCount));

            // Each bucket's smallest distance is larger than every distance in the buckets before it.
            NodeId previousMax = NodeId.Zero;
            for (int k = 0; k < order.Length; k++)
            {
                RoutingBucket bucket = table.Buckets[order[k]];
                NodeId min = Masked(bucket.Prefix ^ target, bucket.PrefixLength);
                NodeId max = min ^ (NodeId.MaxValue ^ NodeId.PrefixMask(bucket.PrefixLength));
                if (k > 0)
                {
                    Assert.That(min, Is.GreaterThan(previousMax));
                }

                previousMax = max;
            }
        }
    }

    internal static void AssertInvariants(RoutingTable table, RoutingTestKit kit)
    {
        int total = 0;
        var seen = new HashSet<NodeId>();
        var endPoints = new HashSet<IPEndPoint>();
        for (int i = 0; i < table.BucketCount; i++)
        {
            RoutingBucket bucket = table.Buckets[i];
            Assert.That(bucket.Count, Is.LessThanOrEqualTo(table.Options.BucketSize));
            Assert.That(bucket.Replacements.Length, Is.LessThanOrEqualTo(table.Options.ReplacementCacheSize));
            Assert.That(bucket.Covers(kit.LocalId), Is.EqualTo(i == table.BucketCount - 1));
            foreach (NodeEntry e in bucket.Nodes)
            {
                Assert.That(bucket.Covers(e.Id), Is.True);
                Assert.That(table.BucketIndexOf(e.Id), Is.EqualTo(i));
                Assert.That(seen.Add(e.Id), Is.True, "an id is live once");
                Assert.That(endPoints.Add(e.EndPoint), Is.True, "an endpoint is live once");
                Assert.That(table.TryGet(e.Id, out NodeEntry? found) && ReferenceEquals(found, e), Is.True);
                Assert.That(e.Id, Is.Not.EqualTo(kit.LocalId));
            }

            foreach (ReplacementEntry r in bucket.Replacements)
            {
                Assert.That(bucket.Covers(r.Id), Is.True);
                Assert.That(table.Contains(r.Id), Is.False, "a live node does not also wait");
            }

            total += bucket.Count;
        }

        Assert.That(table.Count, Is.EqualTo(total));
        Assert.That(table.BucketCount, Is.LessThanOrEqualTo(RoutingTable.MaxBuckets));
    }

    /// <summary>The id with every bit after the first <paramref name="prefixLength"/> cleared.</summary>
    private static NodeId Masked(NodeId id, int prefixLength)
    {
        byte[] a = id.ToArray();
        byte[] m = NodeId.PrefixMask(prefixLength).ToArray();
        for (int i = 0; i < a.Length; i++)
        {
            a[i] &= m[i];
        }

        return new NodeId(a);
    }
}
