using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Tests.Support;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Node;

/// <summary>Two or more nodes on an in-memory network driven by a virtual clock: timer rules, exactly.</summary>
public sealed class DhtNodeVirtualTimeTests
{
    private VirtualTimeProvider _clock = null!;
    private InMemoryNetwork _network = null!;

    [SetUp]
    public void CreateNetwork()
    {
        _clock = new VirtualTimeProvider();
        _network = new InMemoryNetwork(_clock, new Random(1));
    }

    private DhtNode StartNode(string address, int seed)
    {
        var node = new DhtNode(
            new DhtNodeOptions
            {
                TimeProvider = _clock,
                RandomSeed = seed,
                UsePublicRouters = false,
                SendPolicy = NetworkGuard.Policy,
                RunContinuationsInline = true,
            },
            _network.CreateTransport(new IPEndPoint(IPAddress.Parse(address), 6881)));
        node.Start();
        return node;
    }

    private RpcResult Run(Task<RpcResult> task)
    {
        Assert.That(_clock.RunUntil(() => task.IsCompleted, TimeSpan.FromMinutes(1)), Is.True, "the query did not complete");
        return task.Result;
    }

    [Test]
    public async Task Ping_over_the_in_memory_network_adds_the_answering_node()
    {
        await using DhtNode a = StartNode("127.0.0.1", 1);
        await using DhtNode b = StartNode("127.0.0.2", 2);
        RpcResult result = Run(a.PingAsync(b.LocalEndPoint));
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(result.Response!.Id, Is.EqualTo(b.Id));
        Assert.That(result.Response.GetExternalEndPoint(), Is.EqualTo(a.LocalEndPoint), "BEP 42: the reply carries our address as seen by the replier");
        Assert.That(a.GetRoutingTable().Single().Id, Is.EqualTo(b.Id));
    }

    [Test]
    public async Task A_query_to_nobody_times_out_after_the_query_timeout_on_virtual_time()
    {
        await using DhtNode a = StartNode("127.0.0.1", 1);
        Task<RpcResult> ping = a.PingAsync(new IPEndPoint(IPAddress.Parse("127.0.0.99"), 6881));
        _clock.Advance(a.Options.QueryTimeout - TimeSpan.FromMilliseconds(1));
        Assert.That(ping.IsCompleted, Is.False);
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(ping.IsCompleted, Is.True);
        Assert.That(ping.Result.Status, Is.EqualTo(RpcStatus.Timeout));
        Assert.That(a.GetStatistics().OutstandingQueries, Is.Zero);
    }

    [TestCase(9, true)]
    [TestCase(11, false)]
    public async Task A_token_is_accepted_9_minutes_after_issue_and_rejected_after_11(int minutes, bool accepted)
    {
        await using DhtNode storer = StartNode("127.0.0.1", 1);
        await using DhtNode announcer = StartNode("127.0.0.2", 2);
        NodeId infoHash = NodeId.CreateRandom(new Random(5));
        RpcResult got = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        ReadOnlyMemory<byte> token = got.Response!.Token;

        _clock.Advance(TimeSpan.FromMinutes(minutes));
        RpcResult announced = Run(announcer.SendQueryAsync(new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 7000, Token = token }, storer.LocalEndPoint));

        Assert.That(announced.Status, Is.EqualTo(accepted ? RpcStatus.Response : RpcStatus.Error));
        if (!accepted)
        {
            Assert.That(announced.Error!.Code, Is.EqualTo(203));
        }

        Assert.That(storer.GetStatistics().StoredPeers, Is.EqualTo(accepted ? 1 : 0));
    }

    [Test]
    public async Task An_announced_peer_expires_30_minutes_after_its_last_announce()
    {
        await using DhtNode storer = StartNode("127.0.0.1", 1);
        await using DhtNode announcer = StartNode("127.0.0.2", 2);
        NodeId infoHash = NodeId.CreateRandom(new Random(5));
        RpcResult got = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        Run(announcer.SendQueryAsync(new AnnouncePeerQuery { Id = announcer.Id, InfoHash = infoHash, Port = 7000, Token = got.Response!.Token }, storer.LocalEndPoint));
        Assert.That(storer.GetStatistics().StoredPeers, Is.EqualTo(1));

        _clock.Advance(TimeSpan.FromMinutes(29));
        RpcResult before = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        Assert.That(before.Response!.Values.Count, Is.EqualTo(1));

        _clock.Advance(TimeSpan.FromMinutes(2));
        RpcResult after = Run(announcer.SendQueryAsync(new GetPeersQuery { Id = announcer.Id, InfoHash = infoHash }, storer.LocalEndPoint));
        Assert.That(after.Response!.Values.IsEmpty, Is.True);
        Assert.That(storer.GetStatistics().StoredPeers, Is.Zero);
    }

    [Test]
    public async Task A_read_only_querier_is_answered_but_never_added()
    {
        await using DhtNode server = StartNode("127.0.0.1", 1);
        await using DhtNode client = StartNode("127.0.0.2", 2);
        RpcResult result = Run(client.SendQueryAsync(new PingQuery { Id = client.Id, ReadOnly = true }, server.LocalEndPoint));
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.That(server.GetRoutingTable(), Is.Empty);
        Assert.That(server.GetStatistics().QueriesSent["ping"], Is.Zero, "a read-only querier is not even pinged for verification");
    }

    [Test]
    public async Task A_querying_node_is_verified_with_a_ping_before_it_enters_the_table()
    {
        await using DhtNode server = StartNode("127.0.0.1", 1);
        await using DhtNode client = StartNode("127.0.0.2", 2);
        Run(client.SendQueryAsync(new PingQuery { Id = client.Id }, server.LocalEndPoint));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(server.GetStatistics().QueriesSent["ping"], Is.EqualTo(1));
        Assert.That(server.GetRoutingTable().Select(e => e.Id), Is.EqualTo(new[] { client.Id }));
    }
}
