using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Node;

/// <summary>Two or more nodes on an in-memory network driven by a virtual clock: timer rules, exactly.</summary>
public sealed class DhtNodeVirtualTimeTests : GuardedTest
{
    private VirtualNetwork _network = null!;

    [SetUp]
    public void CreateNetwork() => _network = new VirtualNetwork();

    [TearDown]
    public async Task StopNodes() => await _network.DisposeAsync();

    private VirtualTimeProvider Clock => _network.Clock;

    private DhtNode StartNode(string address, int seed) => _network.StartNode(address, seed);

    private RpcResult Run(Task<RpcResult> task) => _network.Run(task, TimeSpan.FromMinutes(1));

    [Test]
    public void Ping_over_the_in_memory_network_adds_the_answering_node()
    {
        DhtNode a = StartNode("127.0.0.1", 1);
        DhtNode b = StartNode("127.0.0.2", 2);
        RpcResult result = Run(a.PingAsync(b.LocalEndPoint));
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(result.Response!.Id, Is.EqualTo(b.Id));
        Assert.That(result.Response.GetExternalEndPoint(), Is.EqualTo(a.LocalEndPoint), "BEP 42: the reply carries our address as seen by the replier");
        Assert.That(a.GetRoutingTable().Single().Id, Is.EqualTo(b.Id));
    }

    [Test]
    public void A_query_to_nobody_times_out_after_the_query_timeout_on_virtual_time()
    {
        DhtNode a = StartNode("127.0.0.1", 1);
        Task<RpcResult> ping = a.PingAsync(new IPEndPoint(IPAddress.Parse("127.0.0.99"), 6881));
        Clock.Advance(a.Options.QueryTimeout - TimeSpan.FromMilliseconds(1));
        Assert.That(ping.IsCompleted, Is.False);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(ping.IsCompleted, Is.True);
        Assert.That(ping.Result.Status, Is.EqualTo(RpcStatus.Timeout));
        Assert.That(a.GetStatistics().OutstandingQueries, Is.Zero);
    }

    [TestCase(9, true)]
    [TestCase(11, false)]
    public void A_token_is_accepted_9_minutes_after_issue_and_rejected_after_11(int minutes, bool accepted)
    {
        DhtNode storer = StartNode("127.0.0.1", 1);
        DhtNode announcer = StartNode("127.0.0.2", 2);
        NodeId infoHash = NodeId.CreateRandom(new Random(5));
        RpcResult got = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        ReadOnlyMemory<byte> token = got.Response!.Token;

        Clock.Advance(TimeSpan.FromMinutes(minutes));
        RpcResult announced = Run(announcer.SendQueryAsync(new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 7000, Token = token }, storer.LocalEndPoint));

        Assert.That(announced.Status, Is.EqualTo(accepted ? RpcStatus.Response : RpcStatus.Error));
        if (!accepted)
        {
            Assert.That(announced.Error!.Code, Is.EqualTo(203));
        }

        Assert.That(storer.GetStatistics().StoredPeers, Is.EqualTo(accepted ? 1 : 0));
    }

    [Test]
    public void An_announced_peer_expires_30_minutes_after_its_last_announce()
    {
        DhtNode storer = StartNode("127.0.0.1", 1);
        DhtNode announcer = StartNode("127.0.0.2", 2);
        NodeId infoHash = NodeId.CreateRandom(new Random(5));
        RpcResult got = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        Run(announcer.SendQueryAsync(new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 7000, Token = got.Response!.Token }, storer.LocalEndPoint));
        Assert.That(storer.GetStatistics().StoredPeers, Is.EqualTo(1));

        Clock.Advance(TimeSpan.FromMinutes(29));
        RpcResult before = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        Assert.That(before.Response!.Values.Count, Is.EqualTo(1));

        Clock.Advance(TimeSpan.FromMinutes(2));
        RpcResult after = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        Assert.That(after.Response!.Values.IsEmpty, Is.True);
        Assert.That(storer.GetStatistics().StoredPeers, Is.Zero);
    }

    [Test]
    public void A_read_only_querier_is_answered_but_never_added()
    {
        DhtNode server = StartNode("127.0.0.1", 1);
        DhtNode client = StartNode("127.0.0.2", 2);
        RpcResult result = Run(client.SendQueryAsync(new PingQuery { Id = client.Id, ReadOnly = true }, server.LocalEndPoint));
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
        Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(server.GetRoutingTable(), Is.Empty);
        Assert.That(server.GetStatistics().QueriesSent["ping"], Is.Zero, "a read-only querier is not even pinged for verification");
    }

    [Test]
    public async Task A_node_that_stops_answering_leaves_our_replies_after_its_first_failed_query_before_it_is_evicted()
    {
        DhtNode server = StartNode("127.0.0.1", 1);
        DhtNode client = StartNode("127.0.0.3", 3);
        DhtNode silent = StartNode("127.0.0.2", 2);
        Assert.That(Run(server.PingAsync(silent.LocalEndPoint)).Status, Is.EqualTo(RpcStatus.Response));

        // A read-only querier: the server does not add it, so its replies only ever name the other node.
        var findNode = new FindNodeQuery { Id = client.Id, Target = silent.Id, ReadOnly = true };
        KrpcResponse before = Run(client.SendQueryAsync(findNode, server.LocalEndPoint)).Response!;
        Assert.That(CompactFormat.ReadNodes(before.Nodes.Span, System.Net.Sockets.AddressFamily.InterNetwork).Select(n => n.Id), Is.EqualTo(new[] { silent.Id }));

        await silent.DisposeAsync();
        Task<MainlineDht.Lookups.LookupReport> lookup = server.FindNodeAsync(silent.Id);
        Assert.That(Clock.RunUntil(() => lookup.IsCompleted, TimeSpan.FromMinutes(1)), Is.True);
        Clock.Advance(server.Options.QueryTimeout); // a query the lookup stopped waiting for still times out
        RoutingTableEntry entry = server.GetRoutingTable().Single(e => e.Id == silent.Id);
        Assert.That(entry.FailureCount, Is.EqualTo(1), "one failed query: still in the table, not yet evicted");
        Assert.That(entry.State, Is.EqualTo(NodeState.Good), "it answered minutes ago");

        KrpcResponse after = Run(client.SendQueryAsync(findNode, server.LocalEndPoint)).Response!;
        Assert.That(after.Nodes.IsEmpty, Is.True, "a node whose last query failed is not handed out");
        Assert.That(after.PresentKeys, Is.EqualTo(KrpcResponseKeys.Nodes), "the nodes key is there, empty");
    }

    [Test]
    public void A_querying_node_is_verified_with_a_ping_before_it_enters_the_table()
    {
        DhtNode server = StartNode("127.0.0.1", 1);
        DhtNode client = StartNode("127.0.0.2", 2);
        Run(client.SendQueryAsync(new PingQuery { Id = client.Id }, server.LocalEndPoint));
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(server.GetStatistics().QueriesSent["ping"], Is.EqualTo(1));
        Assert.That(server.GetRoutingTable().Select(e => e.Id), Is.EqualTo(new[] { client.Id }));
    }
}
