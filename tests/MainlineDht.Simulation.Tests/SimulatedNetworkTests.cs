using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Simulation.Tests;

/// <summary>The simulated network's conditions, one at a time, on two or a few hundred nodes.</summary>
public sealed class SimulatedNetworkTests
{
    private static readonly TimeSpan OneWay = TimeSpan.FromMilliseconds(40);

    private static SimulatedNetwork Create(double loss = 0) => new(new SimulatedNetworkOptions
    {
        Seed = 7,
        Latency = LatencyModel.Constant(OneWay),
        LossRate = loss,
    });

    [Test]
    public async Task Ping_TakesTwiceTheOneWayDelay_OnVirtualTime()
    {
        await using SimulatedNetwork network = Create();
        SimulatedNode a = network.AddNode();
        SimulatedNode b = network.AddNode();

        RpcResult result = network.Run(a.Node.PingAsync(b.EndPoint));

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
            Assert.That(result.Response!.Id, Is.EqualTo(b.Node.Id));
            Assert.That(network.Elapsed, Is.EqualTo(OneWay * 2));
            Assert.That(network.Statistics.Delivered, Is.EqualTo(2));
            Assert.That(a.EndPoint.Address.GetAddressBytes()[0], Is.EqualTo(127), "virtual addresses are loopback ones");
        });
    }

    [Test]
    public async Task Loss_DropsDatagrams()
    {
        await using SimulatedNetwork network = Create(loss: 1);
        SimulatedNode a = network.AddNode();
        SimulatedNode b = network.AddNode();

        RpcResult result = network.Run(a.Node.PingAsync(b.EndPoint));

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(RpcStatus.Timeout));
            Assert.That(network.Statistics.Lost, Is.EqualTo(1));
            Assert.That(network.Statistics.Delivered, Is.Zero);
        });
    }

    [Test]
    public async Task Partition_SeparatesNodesUntilHealed()
    {
        await using SimulatedNetwork network = Create();
        SimulatedNode a = network.AddNode();
        SimulatedNode b = network.AddNode();
        b.Partition = 1;

        RpcResult across = network.Run(a.Node.PingAsync(b.EndPoint));
        network.Heal();
        RpcResult healed = network.Run(a.Node.PingAsync(b.EndPoint));

        Assert.Multiple(() =>
        {
            Assert.That(across.Status, Is.EqualTo(RpcStatus.Timeout));
            Assert.That(network.Statistics.DroppedPartitioned, Is.EqualTo(1));
            Assert.That(healed.Status, Is.EqualTo(RpcStatus.Response));
        });
    }

    [Test]
    public async Task UnresponsiveNode_NeverAnswers_ButHearsReplies()
    {
        await using SimulatedNetwork network = Create();
        SimulatedNode a = network.AddNode();
        SimulatedNode firewalled = network.AddNode();
        firewalled.IsResponsive = false;

        RpcResult toFirewalled = network.Run(a.Node.PingAsync(firewalled.EndPoint));
        RpcResult fromFirewalled = network.Run(firewalled.Node.PingAsync(a.EndPoint));

        Assert.Multiple(() =>
        {
            Assert.That(toFirewalled.Status, Is.EqualTo(RpcStatus.Timeout));
            Assert.That(network.Statistics.DroppedUnresponsive, Is.EqualTo(1));
            Assert.That(fromFirewalled.Status, Is.EqualTo(RpcStatus.Response));
        });
    }

    [Test]
    public async Task RemovedNode_IsOffline_AndDatagramsToItAreDropped()
    {
        await using SimulatedNetwork network = Create();
        SimulatedNode a = network.AddNode();
        SimulatedNode b = network.AddNode();

        network.Remove([b]);
        RpcResult result = network.Run(a.Node.PingAsync(b.EndPoint));

        Assert.Multiple(() =>
        {
            Assert.That(b.IsOnline, Is.False);
            Assert.That(result.Status, Is.EqualTo(RpcStatus.Timeout));
            Assert.That(network.Statistics.DroppedOffline, Is.EqualTo(1));
            Assert.That(network.Find(b.EndPoint), Is.SameAs(b));
            Assert.That(network.Find(new IPEndPoint(IPAddress.Parse("10.0.0.1"), SimulatedNetwork.Port)), Is.Null);
        });
    }

    [Test]
    public async Task DatagramToAnAddressNobodyHolds_IsUnroutable_NotSentAnywhere()
    {
        await using SimulatedNetwork network = Create();
        SimulatedNode a = network.AddNode();

        RpcResult result = network.Run(a.Node.PingAsync(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 6881)));

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(RpcStatus.Timeout));
            Assert.That(network.Statistics.Unroutable, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Populate_JoinsEveryNode_AndALookupFindsAnAnnouncedPeer()
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 11 });
        PopulateReport populate = network.Populate(300, unresponsive: 0.1);
        SimulatedNode announcer = network.Nodes.First(n => n.IsResponsive);
        SimulatedNode looker = network.Nodes.Last(n => n.IsResponsive);
        NodeId infoHash = NodeId.CreateRandom(network.Random);

        network.Run(announcer.Node.AnnounceAsync(infoHash, 5000));
        PeerLookupResult found = network.Run(looker.Node.LookupPeersAsync(infoHash));

        Assert.Multiple(() =>
        {
            Assert.That(populate.Nodes, Is.EqualTo(300));
            Assert.That(network.Nodes.All(n => n.HasJoined), Is.True);
            Assert.That(network.Nodes.Count(n => !n.IsResponsive), Is.InRange(10, 60));
            Assert.That(network.Nodes.Where(n => n.IsResponsive).Min(n => n.Node.GetStatistics().RoutingTableSize), Is.GreaterThan(8));
            Assert.That(found.Peers, Does.Contain(new IPEndPoint(announcer.EndPoint.Address, 5000)));
            Assert.That(found.Report.Elapsed, Is.GreaterThan(TimeSpan.Zero).And.LessThan(TimeSpan.FromSeconds(10)), "virtual time, not the wall clock");
            Assert.That(populate.BytesPerIdleNode, Is.GreaterThan(0));
            Assert.That(network.Statistics.ForeignThreadCalls, Is.Zero);
        });
    }

    [Test]
    public async Task PopulateDirect_FillsTablesWithoutTraffic_AndALookupFindsAnAnnouncedPeer()
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions { Seed = 11 });
        PopulateReport populate = network.PopulateDirect(300, unresponsive: 0.1);
        SimulatedNode announcer = network.Nodes.First(n => n.IsResponsive);
        SimulatedNode looker = network.Nodes.Last(n => n.IsResponsive);
        NodeId infoHash = NodeId.CreateRandom(network.Random);
        var unresponsive = network.Nodes.Where(n => !n.IsResponsive).Select(n => n.Node.Id).ToHashSet();

        network.Run(announcer.Node.AnnounceAsync(infoHash, 5000));
        PeerLookupResult found = network.Run(looker.Node.LookupPeersAsync(infoHash));

        Assert.Multiple(() =>
        {
            Assert.That((populate.Nodes, populate.DatagramsSent), Is.EqualTo((300, 0L)));
            Assert.That(network.Nodes.All(n => n.HasJoined), Is.True);
            Assert.That(network.Nodes.Min(n => n.Node.GetStatistics().RoutingTableSize), Is.GreaterThan(8));
            Assert.That(network.Nodes.Take(50).SelectMany(n => n.Node.GetRoutingTable()).Any(e => unresponsive.Contains(e.Id)), Is.False, "a node that never answers is in nobody's table");
            Assert.That(found.Peers, Does.Contain(new IPEndPoint(announcer.EndPoint.Address, 5000)));
            Assert.That(network.Statistics.ForeignThreadCalls, Is.Zero);
        });
    }

    [Test]
    public void Options_AreValidated()
    {
        Assert.That(() => new SimulatedNetwork(new SimulatedNetworkOptions { LossRate = 1.5 }), Throws.ArgumentException.With.Message.Contains("LossRate"));
    }
    /// <summary>The package README's example, smaller.</summary>
    [Test]
    public async Task ReadmeExample_Runs()
    {
        await using var network = new SimulatedNetwork(new SimulatedNetworkOptions
        {
            Seed = 1,
            Latency = LatencyModel.UniformPerLink(TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(150)),
            LossRate = 0.05,
        });
        network.Populate(400, unresponsive: 0.2);

        SimulatedNode announcer = network.Nodes[10], seeker = network.Nodes[20];
        announcer.IsResponsive = seeker.IsResponsive = true;
        NodeId infoHash = NodeId.CreateRandom(network.Random);
        network.Run(announcer.Node.AnnounceAsync(infoHash, 6000));
        PeerLookupResult found = network.Run(seeker.Node.LookupPeersAsync(infoHash));

        network.Remove(network.Nodes.Take(50));
        network.Nodes[30].Partition = 1;
        network.RunFor(TimeSpan.FromMinutes(15));

        Assert.Multiple(() =>
        {
            Assert.That(found.Peers, Has.Count.EqualTo(1));
            Assert.That(network.Elapsed, Is.GreaterThan(TimeSpan.FromMinutes(15)));
            Assert.That(network.Nodes.Take(50).All(n => !n.IsOnline), Is.True);
            Assert.That(network.Statistics.ForeignThreadCalls, Is.Zero);
        });
    }
}
