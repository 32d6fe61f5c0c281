using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Tests.Support;

namespace MainlineDht.Tests.Node;

/// <summary>
/// What the node hears (<see cref="DhtNode.WatchQueriesAsync"/>): the <c>get_peers</c> and accepted
/// <c>announce_peer</c> it answers, as events; bounded per watcher, counted when dropped, nothing
/// kept while nobody watches. On virtual time; the watcher itself runs on the thread pool (the node
/// never runs a watcher's code), so the tests wait for it in real time.
/// </summary>
public sealed class HeardQueriesTests : GuardedTest
{
    private static readonly TimeSpan RealWait = TimeSpan.FromSeconds(10);

    private VirtualNetwork _network = null!;

    [SetUp]
    public void CreateNetwork() => _network = new VirtualNetwork();

    [TearDown]
    public async Task StopNodes() => await _network.DisposeAsync();

    private RpcResult Run(Task<RpcResult> task) => _network.Run(task, TimeSpan.FromMinutes(1));

    /// <summary>get_peers from <paramref name="from"/> to <paramref name="to"/>, then announce_peer with the token.</summary>
    private void GetPeersThenAnnounce(DhtNode from, DhtNode to, NodeId infoHash, int port, bool impliedPort = false, bool seed = false)
    {
        RpcResult got = Run(from.SendQueryAsync(new GetPeersQuery { Id = from.Id, InfoHash = infoHash }, to.LocalEndPoint));
        Assert.That(got.Status, Is.EqualTo(RpcStatus.Response));
        RpcResult announced = Run(from.SendQueryAsync(
            new AnnouncePeerQuery { Id = from.Id, InfoHash = infoHash, Port = port, ImpliedPort = impliedPort, Seed = seed, Token = got.Response!.Token.ToArray() },
            to.LocalEndPoint));
        Assert.That(announced.Status, Is.EqualTo(RpcStatus.Response));
    }

    private static async Task<HeardQuery> NextAsync(IAsyncEnumerator<HeardQuery> watch)
    {
        Assert.That(await watch.MoveNextAsync().AsTask().WaitAsync(RealWait), Is.True, "the watch ended");
        return watch.Current;
    }

    [Test]
    public async Task A_watcher_hears_get_peers_and_announces_with_source_and_port()
    {
        DhtNode watched = _network.StartNode("127.0.0.1", 1);
        DhtNode other = _network.StartNode("127.0.0.2", 2);
        NodeId infoHash = NodeId.CreateRandom(new Random(3));
        Assert.That(watched.HasWatchers, Is.False, "nothing is kept while nobody watches");

        await using IAsyncEnumerator<HeardQuery> watch = watched.WatchQueriesAsync().GetAsyncEnumerator();
        Task<bool> first = watch.MoveNextAsync().AsTask(); // the watch starts here
        Assert.That(watched.HasWatchers, Is.True);
        GetPeersThenAnnounce(other, watched, infoHash, 51413);
        GetPeersThenAnnounce(other, watched, infoHash, 1, impliedPort: true, seed: true);

        Assert.That(await first.WaitAsync(RealWait), Is.True);
        HeardQuery getPeers = watch.Current;
        HeardQuery announce = await NextAsync(watch);
        HeardQuery getPeersAgain = await NextAsync(watch);
        HeardQuery implied = await NextAsync(watch);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(getPeers, Is.EqualTo(new HeardQuery(KrpcMethod.GetPeers, infoHash, other.LocalEndPoint, other.Id, null, false, false, getPeers.ReceivedAt)));
            Assert.That(getPeers.Peer, Is.Null);
            Assert.That(announce, Is.EqualTo(new HeardQuery(KrpcMethod.AnnouncePeer, infoHash, other.LocalEndPoint, other.Id, 51413, false, false, announce.ReceivedAt)));
            Assert.That(announce.Peer, Is.EqualTo(new IPEndPoint(other.LocalEndPoint.Address, 51413)));
            Assert.That(getPeersAgain.Method, Is.EqualTo(KrpcMethod.GetPeers));
            Assert.That((implied.Port, implied.ImpliedPort, implied.Seed), Is.EqualTo((other.LocalEndPoint.Port, true, true)), "implied_port: the source port is what was stored");
            Assert.That(implied.ReceivedAt, Is.EqualTo(_network.Clock.GetUtcNow()).Within(TimeSpan.FromSeconds(1)));
        }

        await watch.DisposeAsync();
        Assert.That(watched.HasWatchers, Is.False, "the watch ended with its enumeration");
    }

    [Test]
    public async Task An_announce_refused_for_a_bad_token_is_not_heard()
    {
        DhtNode watched = _network.StartNode("127.0.0.1", 1);
        DhtNode other = _network.StartNode("127.0.0.2", 2);
        await using IAsyncEnumerator<HeardQuery> watch = watched.WatchQueriesAsync().GetAsyncEnumerator();
        Task<bool> next = watch.MoveNextAsync().AsTask();
        NodeId infoHash = NodeId.CreateRandom(new Random(4));
        RpcResult refused = Run(other.SendQueryAsync(new AnnouncePeerQuery { Id = other.Id, InfoHash = infoHash, Port = 6000, Token = "nope"u8.ToArray() }, watched.LocalEndPoint));
        Assert.That(refused.Status, Is.EqualTo(RpcStatus.Error));
        Run(other.SendQueryAsync(new GetPeersQuery { Id = other.Id, InfoHash = infoHash }, watched.LocalEndPoint));
        Assert.That(await next.WaitAsync(RealWait), Is.True);
        Assert.That(watch.Current.Method, Is.EqualTo(KrpcMethod.GetPeers), "the first event is the get_peers: the refused announce was not heard");
    }

    [Test]
    public async Task A_slow_watcher_loses_the_oldest_events_counted_and_the_node_answers_everything()
    {
        DhtNode watched = _network.StartNode("127.0.0.1", 1);
        DhtNode other = _network.StartNode("127.0.0.2", 2);
        const int Capacity = 3, Announces = 10;
        using var cancel = new CancellationTokenSource();
        await using IAsyncEnumerator<HeardQuery> watch = watched.WatchQueriesAsync(Capacity, cancel.Token).GetAsyncEnumerator();
        Task<bool> first = watch.MoveNextAsync().AsTask();
        var random = new Random(5);
        for (int i = 0; i < Announces; i++)
        {
            GetPeersThenAnnounce(other, watched, NodeId.CreateRandom(random), 7000 + i);
        }

        DhtNodeStatistics stats = watched.GetStatistics();
        Assert.That(stats.AnnouncesAccepted, Is.EqualTo(Announces), "the node never waits for its watcher");
        Assert.That(await first.WaitAsync(RealWait), Is.True);
        var received = new List<HeardQuery> { watch.Current };
        Task<bool> more;
        while ((more = watch.MoveNextAsync().AsTask()).Wait(TimeSpan.FromMilliseconds(200)) && more.Result)
        {
            received.Add(watch.Current);
        }

        await cancel.CancelAsync(); // ends the read still waiting
        Assert.That(async () => await more, Throws.InstanceOf<OperationCanceledException>());

        // 20 events (a get_peers and an announce each); the first may have been taken before the rest
        // came; of the others only the last 3 were kept.
        long dropped = watched.GetStatistics().HeardQueriesDropped;
        Assert.That(received.Count + dropped, Is.EqualTo(2 * Announces));
        Assert.That(received.Count, Is.InRange(Capacity, Capacity + 1));
        Assert.That(received[^1].Port, Is.EqualTo(7000 + Announces - 1), "the newest are the ones kept");
    }

    [Test]
    public async Task Every_watcher_hears_everything_and_the_watch_ends_when_the_node_stops()
    {
        DhtNode watched = _network.StartNode("127.0.0.1", 1);
        DhtNode other = _network.StartNode("127.0.0.2", 2);
        IAsyncEnumerator<HeardQuery> a = watched.WatchQueriesAsync().GetAsyncEnumerator();
        IAsyncEnumerator<HeardQuery> b = watched.WatchQueriesAsync().GetAsyncEnumerator();
        Task<bool> nextA = a.MoveNextAsync().AsTask(), nextB = b.MoveNextAsync().AsTask();
        NodeId infoHash = NodeId.CreateRandom(new Random(6));
        Run(other.SendQueryAsync(new GetPeersQuery { Id = other.Id, InfoHash = infoHash }, watched.LocalEndPoint));
        Assert.That(await nextA.WaitAsync(RealWait) && await nextB.WaitAsync(RealWait), Is.True);
        Assert.That((a.Current.InfoHash, b.Current.InfoHash), Is.EqualTo((infoHash, infoHash)));

        Task<bool> endA = a.MoveNextAsync().AsTask();
        await watched.DisposeAsync();
        Assert.That(await endA.WaitAsync(RealWait), Is.False, "the node stopped: the watch ended");
        Assert.That(await b.MoveNextAsync().AsTask().WaitAsync(RealWait), Is.False);
        await a.DisposeAsync();
        await b.DisposeAsync();
        Assert.That(watched.HasWatchers, Is.False);
        Assert.Throws<ObjectDisposedException>(() => watched.WatchQueriesAsync().GetAsyncEnumerator().MoveNextAsync().AsTask().GetAwaiter().GetResult());
    }

    [Test]
    public async Task Cancelling_a_watch_ends_it_with_OperationCanceledException_and_unsubscribes()
    {
        DhtNode watched = _network.StartNode("127.0.0.1", 1);
        using var cancel = new CancellationTokenSource();
        await using IAsyncEnumerator<HeardQuery> watch = watched.WatchQueriesAsync(cancellationToken: cancel.Token).GetAsyncEnumerator();
        Task<bool> next = watch.MoveNextAsync().AsTask();
        Assert.That(watched.HasWatchers, Is.True);
        await cancel.CancelAsync();
        Assert.That(async () => await next.WaitAsync(RealWait), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(watched.HasWatchers, Is.False);
        Assert.Throws<ArgumentOutOfRangeException>(() => watched.WatchQueriesAsync(0));
    }
}
