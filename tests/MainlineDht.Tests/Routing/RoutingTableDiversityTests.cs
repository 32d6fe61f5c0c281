using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using static MainlineDht.Tests.Routing.RoutingTestKit;

namespace MainlineDht.Tests.Routing;

/// <summary>
/// IP diversity in the routing table (libtorrent's <c>dht_restrict_routing_ips</c>): one entry per IP
/// address, one node per /24 (/64) in a bucket with its replacement cache; loopback exempt unless
/// <see cref="IpDiversity.All"/>.
/// </summary>
public sealed class RoutingTableDiversityTests
{
    private static IPEndPoint Public(string address, int port = 6881) => new(IPAddress.Parse(address), port);

    [Test]
    public void One_IP_address_holds_one_entry_whatever_its_ports_and_buckets()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        Assert.That(table.OnReply(kit.IdAt(0), Public("8.8.4.4", 1000), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));

        RoutingOutcome second = table.OnReply(kit.IdAt(3), Public("8.8.4.4", 2000), Rtt, T0);

        Assert.That(second.Result, Is.EqualTo(RoutingResult.Crowded), "another port of the same address, in another bucket");
        Assert.That(table.Count, Is.EqualTo(1));
        Assert.That(table.OnQuery(kit.IdAt(5), Public("8.8.4.4", 3000), T0), Is.False, "not even as a candidate");
        Assert.That(table.ReplacementCount, Is.Zero);
    }

    [Test]
    public void A_bucket_holds_one_node_per_slash_24_but_another_bucket_may_hold_another()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        for (int i = 0; i < 9; i++)
        {
            kit.AddLive(table, kit.IdAt(i < 4 ? 1 : 0), T0); // 9 loopback nodes: the table splits, bucket 0 keeps room
        }

        Assert.That(table.BucketCount, Is.EqualTo(2));
        Assert.That(table.OnReply(kit.IdAt(0), Public("20.1.2.3"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));

        Assert.That(table.OnReply(kit.IdAt(0), Public("20.1.2.99"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Crowded), "same /24, same bucket");
        Assert.That(table.OnReply(kit.IdAt(0), Public("20.1.3.3"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "the next /24");
        Assert.That(table.OnReply(kit.IdAt(1), Public("20.1.2.100"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "same /24, another bucket");
        Assert.That(table.OnQuery(kit.IdAt(0), Public("20.1.2.101"), T0), Is.False, "nor does the bucket's replacement cache take it");
        Assert.That(table.Buckets[0].Replacements.Length, Is.Zero);
    }

    [Test]
    public void A_replacement_cache_holds_one_candidate_per_slash_24()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);

        Assert.That(table.OnQuery(kit.IdAt(0), Public("30.0.0.1"), T0 + TimeSpan.FromMinutes(16)), Is.True);
        Assert.That(table.OnQuery(kit.IdAt(0), Public("30.0.0.2"), T0 + TimeSpan.FromMinutes(16)), Is.False);
        Assert.That(table.OnQuery(kit.IdAt(0), Public("30.0.1.2"), T0 + TimeSpan.FromMinutes(16)), Is.True);

        Assert.That(table.Buckets[0].Replacements.ToArray().Select(r => r.EndPoint.Address.ToString()), Is.EquivalentTo(new[] { "30.0.0.1", "30.0.1.2" }));
    }

    [Test]
    public void A_node_that_answers_pushes_an_unverified_candidate_of_its_slash_24_out_of_the_way_but_not_a_verified_one()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);
        DateTimeOffset later = T0 + TimeSpan.FromMinutes(1);
        NodeId claimed = kit.IdAt(0);
        table.OnQuery(claimed, Public("40.0.0.1"), later); // unverified: perhaps spoofed

        NodeId real = kit.IdAt(0);
        Assert.That(table.OnReply(real, Public("40.0.0.2"), Rtt, later).Result, Is.EqualTo(RoutingResult.Cached));
        Assert.That(table.Buckets[0].FindReplacement(claimed), Is.Null, "the unverified candidate made way");
        Assert.That(table.Buckets[0].FindReplacement(real)!.IsVerified, Is.True);

        Assert.That(table.OnReply(kit.IdAt(0), Public("40.0.0.3"), Rtt, later).Result, Is.EqualTo(RoutingResult.Crowded), "first verified one stays");
    }

    [Test]
    public void IPv6_nodes_are_limited_per_slash_64()
    {
        var kit = new RoutingTestKit();
        var table = new RoutingTable(kit.LocalId, AddressFamily.InterNetworkV6);
        Assert.That(table.OnReply(kit.IdAt(0), Public("2001:4860:1:2::1"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
        Assert.That(table.OnReply(kit.IdAt(0), Public("2001:4860:1:2::2"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Crowded));
        Assert.That(table.OnReply(kit.IdAt(0), Public("2001:4860:1:3::1"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
    }

    [Test]
    public void Loopback_and_private_addresses_are_exempt_by_default_and_All_restricts_them_too()
    {
        var kit = new RoutingTestKit();
        RoutingTable exempt = kit.NewTable();
        RoutingTable all = kit.NewTable(new RoutingTableOptions { IpDiversity = IpDiversity.All });
        RoutingTable off = kit.NewTable(new RoutingTableOptions { IpDiversity = IpDiversity.Off });
        NodeId[] ids = [kit.IdAt(0), kit.IdAt(0), kit.IdAt(0)];
        string[] addresses = ["127.0.50.1", "127.0.50.2", "192.168.1.7"];
        string[] sameRange = ["50.0.0.1", "50.0.0.2", "50.0.0.3"];

        for (int i = 0; i < 2; i++)
        {
            Assert.That(exempt.OnReply(ids[i], Public(addresses[i]), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "loopback, exempt by default");
            Assert.That(all.OnReply(ids[i], Public(addresses[i]), Rtt, T0).Result, Is.EqualTo(i == 0 ? RoutingResult.Added : RoutingResult.Crowded), "loopback, restricted with All");
            Assert.That(off.OnReply(ids[i], Public(sameRange[i]), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "public, Off");
        }

        Assert.That(exempt.OnReply(ids[2], Public("192.168.1.7"), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "private, exempt by default");
        Assert.That(exempt.OnReply(kit.IdAt(0), Public("192.168.1.7", 7000), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added), "even the same private address");
        Assert.That(exempt.RestrictedAddressCount, Is.Zero);
        Assert.That(all.RestrictedAddressCount, Is.EqualTo(1));
    }

    [Test]
    public void A_freed_address_can_be_taken_again()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        NodeId first = kit.IdAt(0);
        table.OnReply(first, Public("60.0.0.1", 1000), Rtt, T0);
        Assert.That(table.Remove(first, T0), Is.True);
        Assert.That(table.RestrictedAddressCount, Is.Zero);

        Assert.That(table.OnReply(kit.IdAt(0), Public("60.0.0.1", 2000), Rtt, T0).Result, Is.EqualTo(RoutingResult.Added));
    }

    [Test]
    public void A_waiting_id_is_not_moved_to_another_endpoint_by_whoever_names_it()
    {
        var kit = new RoutingTestKit();
        RoutingTable table = kit.NewTable();
        kit.FillFarBucket(table, T0);
        NodeId id = kit.IdAt(0);
        IPEndPoint first = kit.NextEndPoint();
        table.OnQuery(id, first, T0);

        Assert.That(table.OnQuery(id, kit.NextEndPoint(), T0), Is.False);
        Assert.That(table.OnHeard(id, kit.NextEndPoint(), T0), Is.False);
        Assert.That(table.Buckets[0].FindReplacement(id)!.EndPoint, Is.EqualTo(first));
    }
}
