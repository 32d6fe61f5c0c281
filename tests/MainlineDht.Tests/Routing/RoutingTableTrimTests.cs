using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

/// <summary>
/// Upkeep gives back the room a bucket's arrays do not use (<see cref="RoutingTable.TrimExcess"/>),
/// and the table works as before afterwards: the endpoint index still finds every live node, and
/// a trimmed bucket grows again.
/// </summary>
public sealed class RoutingTableTrimTests
{
    [Test]
    public void A_trimmed_bucket_keeps_its_nodes_finds_them_by_endpoint_and_grows_again()
    {
        var kit = new RoutingTestKit(3);
        RoutingTable table = kit.NewTable();
        var live = new List<(NodeId Id, IPEndPoint EndPoint)>();
        for (int i = 0; i < 3; i++)
        {
            live.Add(kit.AddLive(table, kit.IdAt(0), T0));
        }

        RoutingBucket bucket = table.Buckets[0];
        Assert.That(bucket.Room, Is.EqualTo(8), "the live side starts at K");

        table.TrimExcess();
        Assert.That(bucket.Room, Is.EqualTo(3));
        Assert.That(bucket.Nodes.ToArray().Select(n => n.Id), Is.EqualTo(live.Select(n => n.Id)));
        foreach ((NodeId id, IPEndPoint endPoint) in live)
        {
            Assert.That(table.OnReply(id, endPoint, Rtt, T0 + TimeSpan.FromSeconds(1)).Result, Is.EqualTo(RoutingResult.Updated));
        }

        // The endpoint index still knows where each node is: a new id answering from the last one's
        // endpoint displaces it.
        NodeId newcomer = kit.IdAt(0);
        table.OnReply(newcomer, live[2].EndPoint, Rtt, T0 + TimeSpan.FromSeconds(1));
        Assert.That((table.Contains(live[2].Id), table.Contains(newcomer)), Is.EqualTo((false, true)));
        live[2] = (newcomer, live[2].EndPoint);

        live.Add(kit.AddLive(table, kit.IdAt(0), T0));
        Assert.That(bucket.Room, Is.EqualTo(8), "a trimmed bucket grows back to K");
        Assert.That(bucket.Count, Is.EqualTo(4));
        Assert.That(table.OnReply(live[^1].Id, live[^1].EndPoint, Rtt, T0 + TimeSpan.FromSeconds(2)).Result, Is.EqualTo(RoutingResult.Updated));
    }

    [Test]
    public void Waiting_nodes_survive_a_trim_and_a_bucket_emptied_of_live_nodes_gives_back_their_room()
    {
        var kit = new RoutingTestKit(4);
        RoutingTable table = kit.NewTable();
        List<(NodeId Id, IPEndPoint EndPoint)> far = kit.FillFarBucket(table, T0);
        var heard = new List<NodeId>();
        for (int i = 0; i < 5; i++)
        {
            NodeId id = kit.IdAt(0);
            table.OnHeard(id, kit.NextEndPoint(), T0); // remembered as a candidate (the bucket is full: no ping asked for)
            heard.Add(id);
        }

        RoutingBucket bucket = table.Buckets[0];
        Assert.That(bucket.Room, Is.EqualTo(8 + 8), "the waiting side grew 2, 4, 8 behind the 8 live nodes");
        table.TrimExcess();
        Assert.That(bucket.Room, Is.EqualTo(8 + 5), "the eight live nodes and the five waiting ones, no more");
        Assert.That(bucket.Replacements.ToArray().Select(r => r.Id), Is.EqualTo(heard));

        foreach ((NodeId id, _) in far)
        {
            Assert.That(table.Remove(id, T0), Is.True);
        }

        table.TrimExcess();
        Assert.That((bucket.Count, bucket.Room), Is.EqualTo((0, 5)), "only the five waiting nodes are left");
        Assert.That(bucket.Replacements.ToArray().Select(r => r.Id), Is.EqualTo(heard));
    }

    [Test]
    public void A_spare_entry_is_not_worth_a_new_array()
    {
        var kit = new RoutingTestKit(5);
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 7; i++)
        {
            kit.AddLive(table, kit.IdAt(0), T0);
        }

        table.TrimExcess();
        Assert.That(table.Buckets[0].Room, Is.EqualTo(8));
    }

    [Test]
    public void A_bucket_of_256_indexes_every_slot_and_257_is_refused()
    {
        Assert.That(() => new RoutingTableOptions { BucketSize = 257 }.Validate(), Throws.TypeOf<ArgumentOutOfRangeException>());
        var kit = new RoutingTestKit(6);
        RoutingTable table = kit.NewTable(new RoutingTableOptions { BucketSize = 256 });
        kit.AddLive(table, kit.IdAt(1), T0);
        var far = new List<(NodeId Id, IPEndPoint EndPoint)>();
        for (int i = 0; i < 256; i++)
        {
            far.Add(kit.AddLive(table, kit.IdAt(0), T0));
        }

        Assert.That(table.Buckets[0].Count, Is.EqualTo(256));
        foreach ((NodeId id, IPEndPoint endPoint) in far)
        {
            Assert.That(table.OnReply(id, endPoint, Rtt, T0 + TimeSpan.FromSeconds(1)).Result, Is.EqualTo(RoutingResult.Updated));
        }
    }
}
