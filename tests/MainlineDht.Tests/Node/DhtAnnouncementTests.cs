using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Node;

/// <summary>Standing announcements re-announce on schedule, on virtual time.</summary>
public sealed class DhtAnnouncementTests
{
    [Test]
    public async Task An_announcement_repeats_every_interval_until_disposed_and_keeps_the_peer_stored()
    {
        var clock = new VirtualTimeProvider();
        var network = new InMemoryNetwork(clock, new Random(1));
        DhtNode Start(int i, IPEndPoint? bootstrap)
        {
            var node = new DhtNode(
                new DhtNodeOptions
                {
                    TimeProvider = clock,
                    RandomSeed = i,
                    UsePublicRouters = false,
                    BootstrapNodes = bootstrap is null ? [] : [bootstrap.ToString()],
                    SendPolicy = NetworkGuard.Policy,
                    RunContinuationsInline = true,
                    QueriesPerSecondPerIp = 0,
                },
                network.CreateTransport(new IPEndPoint(new IPAddress([127, 5, 0, (byte)(i + 1)]), 6881)));
            node.Start();
            return node;
        }

        var nodes = new List<DhtNode> { Start(0, null) };
        for (int i = 1; i < 20; i++)
        {
            DhtNode node = Start(i, nodes[0].LocalEndPoint);
            Task join = node.JoinAsync();
            Assert.That(clock.RunUntil(() => join.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
            nodes.Add(node);
        }

        NodeId infoHash = NodeId.CreateRandom(new Random(2));
        DhtAnnouncement announcement = nodes[3].StartAnnouncing(infoHash, 4242);
        Assert.That(clock.RunUntil(() => announcement.Rounds == 1, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(announcement.LastReport!.AnnouncedTo, Is.Not.Empty);

        // Peers expire 30 minutes after the last announce; re-announcing every 15 keeps the peer findable.
        clock.Advance(TimeSpan.FromMinutes(50));
        Assert.That(announcement.Rounds, Is.EqualTo(4), "rounds at 0, 15, 30 and 45 minutes");
        Task<MainlineDht.Lookups.PeerLookupResult> lookup = nodes[11].LookupPeersAsync(infoHash);
        Assert.That(clock.RunUntil(() => lookup.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(lookup.Result.Peers, Does.Contain(new IPEndPoint(nodes[3].LocalEndPoint.Address, 4242)));

        Task stop = announcement.DisposeAsync().AsTask();
        Assert.That(clock.RunUntil(() => stop.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
        clock.Advance(TimeSpan.FromMinutes(45));
        Assert.That(announcement.Rounds, Is.EqualTo(4), "no round after disposal");
        Task<MainlineDht.Lookups.PeerLookupResult> later = nodes[11].LookupPeersAsync(infoHash);
        Assert.That(clock.RunUntil(() => later.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
        Assert.That(later.Result.Peers, Is.Empty, "after announcing stops, stored peers expire");

        foreach (DhtNode node in nodes)
        {
            await node.DisposeAsync();
        }
    }
}
