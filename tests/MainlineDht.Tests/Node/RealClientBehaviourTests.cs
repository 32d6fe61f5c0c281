using System.Collections.Concurrent;
using System.Net;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Tests.Support;
using static MainlineDht.Tests.Support.Bytes;

namespace MainlineDht.Tests.Node;

/// <summary>
/// Regressions found by the interop suite against real clients, replayed here against a raw
/// UDP responder that behaves as libtorrent 2.0.8 does (see the harness's CAPTURES.md): it lists
/// the querier itself in every <c>nodes</c> it returns, and it answers an <c>announce_peer</c>
/// without a <c>port</c> key with error 203 even when <c>implied_port</c> = 1.
/// </summary>
[NonParallelizable]
public sealed class RealClientBehaviourTests : GuardedTest
{
    private static readonly NodeId ResponderId = new(Latin1("libtorrent-lookalike"));

    [Test]
    public async Task An_implied_port_announce_still_carries_port_which_libtorrent_requires()
    {
        await using var responder = new LibtorrentLikeResponder(IPAddress.Parse("127.0.0.21"));
        await using DhtNode node = await StartNodeAsync(IPAddress.Parse("127.0.0.22"), responder);
        responder.Querier = node;
        await node.JoinAsync();

        LookupReport report = await node.AnnounceAsync(RandomInfoHash(), 0, impliedPort: true);

        Assert.That(report.AnnouncedTo.Select(n => n.Id), Is.EqualTo(new[] { ResponderId }), "the responder accepted the announce");
        byte[] raw = responder.Announces.Single();
        var announce = (AnnouncePeerQuery)KrpcCodec.Decode(raw);
        Assert.That(announce.ImpliedPort, Is.True);
        Assert.That(announce.Port, Is.EqualTo(node.LocalEndPoint.Port), "with implied_port and no port given, our UDP port goes in 'port'");
        Assert.That(Text(raw), Does.Contain($"4:porti{node.LocalEndPoint.Port}e"));
    }

    [Test]
    public async Task An_implied_port_announce_sends_a_given_port_as_is()
    {
        await using var responder = new LibtorrentLikeResponder(IPAddress.Parse("127.0.0.23"));
        await using DhtNode node = await StartNodeAsync(IPAddress.Parse("127.0.0.24"), responder);
        responder.Querier = node;
        await node.JoinAsync();

        await node.AnnounceAsync(RandomInfoHash(), 51413, impliedPort: true);

        var announce = (AnnouncePeerQuery)KrpcCodec.Decode(responder.Announces.Single());
        Assert.That(announce.ImpliedPort, Is.True);
        Assert.That(announce.Port, Is.EqualTo(51413));
    }

    [Test]
    public async Task Lookups_never_query_or_announce_to_our_own_node_when_a_reply_lists_it()
    {
        await using var responder = new LibtorrentLikeResponder(IPAddress.Parse("127.0.0.25"));
        await using DhtNode node = await StartNodeAsync(IPAddress.Parse("127.0.0.26"), responder);
        responder.Querier = node;
        await node.JoinAsync();

        LookupReport report = await node.AnnounceAsync(RandomInfoHash(), 6881);

        Assert.That(report.AnnouncedTo.Select(n => n.Id), Is.EqualTo(new[] { ResponderId }));
        Assert.That(report.ClosestNodes.Select(n => n.Id), Does.Not.Contain(node.Id));
        DhtNodeStatistics stats = node.GetStatistics();
        Assert.That(stats.QueriesReceived["find_node"], Is.Zero, "our own lookups must not query ourselves");
        Assert.That(stats.QueriesReceived["get_peers"], Is.Zero);
        Assert.That(stats.QueriesReceived["announce_peer"], Is.Zero);
        Assert.That(responder.Queries, Is.GreaterThan(0));
    }

    private static Task<DhtNode> StartNodeAsync(IPAddress address, LibtorrentLikeResponder responder) =>
        DhtNode.StartAsync(new DhtNodeOptions
        {
            BindEndPoint = new IPEndPoint(address, 0),
            BootstrapNodes = [responder.EndPoint.ToString()],
            UsePublicRouters = false,
            SendPolicy = NetworkGuard.Policy,
            QueryTimeout = TimeSpan.FromSeconds(2),
        });

    private static NodeId RandomInfoHash() => NodeId.CreateRandom(new Random(5));

    /// <summary>Answers every query on a raw socket the way libtorrent does, as far as these tests need.</summary>
    private sealed class LibtorrentLikeResponder : IAsyncDisposable
    {
        private readonly RawKrpcClient _socket;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _queries;

        public LibtorrentLikeResponder(IPAddress address)
        {
            _socket = new RawKrpcClient(address);
            _loop = Task.Run(Serve);
        }

        public IPEndPoint EndPoint => _socket.LocalEndPoint;

        /// <summary>The node under test (the only querier): listed in every 'nodes'.</summary>
        public DhtNode? Querier { get; set; }

        public ConcurrentQueue<byte[]> Announces { get; } = new();

        public int Queries => Volatile.Read(ref _queries);

        private void Serve()
        {
            while (!_stop.IsCancellationRequested)
            {
                byte[]? datagram = _socket.Receive(TimeSpan.FromMilliseconds(50));
                DhtNode? querier = Querier;
                if (datagram is null || querier is null || !KrpcCodec.TryDecode(datagram, out KrpcMessage? message, out _) || message is not KrpcQuery query)
                {
                    continue;
                }

                Interlocked.Increment(ref _queries);
                byte[] itself = CompactFormat.WriteNodes([new NodeInfo(querier.Id, querier.LocalEndPoint)], System.Net.Sockets.AddressFamily.InterNetwork);
                KrpcMessage reply = query switch
                {
                    FindNodeQuery => new KrpcResponse { Id = ResponderId, Nodes = itself, TransactionId = query.TransactionId },
                    GetPeersQuery => new KrpcResponse { Id = ResponderId, Nodes = itself, Token = "tok1"u8.ToArray(), TransactionId = query.TransactionId },
                    AnnouncePeerQuery when !Text(datagram).Contains("4:porti", StringComparison.Ordinal) =>
                        new KrpcError { Code = 203, Message = "missing 'port' key"u8.ToArray(), TransactionId = query.TransactionId },
                    _ => new KrpcResponse { Id = ResponderId, TransactionId = query.TransactionId },
                };
                if (query is AnnouncePeerQuery)
                {
                    Announces.Enqueue(datagram);
                }

                _socket.Send(KrpcCodec.Encode(reply), querier.LocalEndPoint);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _socket.Dispose();
            _stop.Dispose();
        }
    }
}
