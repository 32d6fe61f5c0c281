using System.Net;
using System.Runtime.CompilerServices;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

public sealed class RoutingNodeLayoutTests
{
    [Test]
    public void A_routing_entry_takes_at_most_64_bytes()
    {
        Assert.That(Unsafe.SizeOf<RoutingNode>(), Is.LessThanOrEqualTo(64));
    }

    [Test]
    public void Stamps_keep_never_negative_times_and_saturate_beyond_40_bits()
    {
        var node = new RoutingNode(NodeId.CreateRandom(new Random(1)), NodeAddress.From(new IPEndPoint(IPAddress.Loopback, 6881)), false, false, -5, RoutingNode.Never, TimeSpan.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(node.AddedOrHeard, Is.EqualTo(-5));
            Assert.That(node.LastReply, Is.EqualTo(RoutingNode.Never));
            Assert.That(node.LastQuery, Is.EqualTo(RoutingNode.Never));
            Assert.That(node.IsVerified, Is.False);
        });

        node.LastReply = RoutingNode.MaxStamp;
        node.LastQuery = long.MaxValue;
        node.Pending = RoutingNode.MinStamp - 10;
        Assert.Multiple(() =>
        {
            Assert.That(node.LastReply, Is.EqualTo(RoutingNode.MaxStamp));
            Assert.That(node.LastQuery, Is.EqualTo(RoutingNode.MaxStamp));
            Assert.That(node.Pending, Is.EqualTo(RoutingNode.MinStamp), "saturates, never reads back as Never");
            Assert.That(node.LastSeen, Is.EqualTo(RoutingNode.MaxStamp));
        });
    }

    [Test]
    public void Times_before_the_first_one_and_days_later_read_back_to_the_millisecond()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        (NodeId id, IPEndPoint endPoint) = kit.AddLive(table, kit.IdAt(2), T0 + TimeSpan.FromDays(40));
        DateTimeOffset earlier = T0 + TimeSpan.FromMilliseconds(7);
        DateTimeOffset later = T0 + TimeSpan.FromDays(400) + TimeSpan.FromMilliseconds(3);
        _ = table.OnHeard(kit.IdAt(5), kit.NextEndPoint(), earlier);
        table.OnQuery(id, endPoint, later);

        Assert.That(table.TryGet(id, out NodeEntry? entry), Is.True);
        ReplacementEntry waiting = table.Buckets.SelectMany(b => b.Replacements.ToArray()).Single();
        Assert.Multiple(() =>
        {
            Assert.That(entry!.Added, Is.EqualTo(T0 + TimeSpan.FromDays(40)));
            Assert.That(entry.LastQuery, Is.EqualTo(later));
            Assert.That(waiting.LastHeard, Is.EqualTo(earlier));
            Assert.That(waiting.LastReply, Is.Null);
        });
    }
}
