using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Node;

/// <summary>Standing announcements re-announce on schedule, on virtual time.</summary>
public sealed class DhtAnnouncementTests : GuardedTest
{
    [Test]
    public async Task An_announcement_repeats_every_interval_until_disposed_and_keeps_the_peer_stored()
    {
        await using var network = new VirtualNetwork();
        var nodes = new List<DhtNode> { network.StartNode(new IPAddress([127, 5, 0, 1]), 0) };
        for (int i = 1; i < 20; i++)
        {
            DhtNode node = network.StartNode(new IPAddress([127, 5, 0, (byte)(i + 1)]), i, nodes[0].LocalEndPoint);
            network.Run(node.JoinAsync(), TimeSpan.FromMinutes(1));
            nodes.Add(node);
        }

        NodeId infoHash = NodeId.CreateRandom(new Random(2));
        DhtAnnouncement announcement = nodes[3].StartAnnouncing(infoHash, 4242);
        Assert.That(network.Clock.RunUntil(() => announcement.Rounds == 1, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(announcement.LastReport!.AnnouncedTo, Is.Not.Empty);

        // Peers expire 30 minutes after the last announce; re-announcing every 15 keeps the peer findable.
        network.Clock.Advance(TimeSpan.FromMinutes(50));
        Assert.That(announcement.Rounds, Is.EqualTo(4), "rounds at 0, 15, 30 and 45 minutes");
        PeerLookupResult found = network.Run(nodes[11].LookupPeersAsync(infoHash), TimeSpan.FromMinutes(1));
        Assert.That(found.Peers, Does.Contain(new IPEndPoint(nodes[3].LocalEndPoint.Address, 4242)));

        network.Run(announcement.DisposeAsync().AsTask(), TimeSpan.FromMinutes(1));
        network.Clock.Advance(TimeSpan.FromMinutes(45));
        Assert.That(announcement.Rounds, Is.EqualTo(4), "no round after disposal");
        PeerLookupResult later = network.Run(nodes[11].LookupPeersAsync(infoHash), TimeSpan.FromMinutes(1));
        Assert.That(later.Peers, Is.Empty, "after announcing stops, stored peers expire");
    }
}
