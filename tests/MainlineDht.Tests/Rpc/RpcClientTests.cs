using System.Net;
using System.Runtime.InteropServices;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Simulation;
using MainlineDht.Transport;

namespace MainlineDht.Tests.Rpc;

/// <summary>The RPC client on its own: a fake transport, a virtual clock and an observer that records what it hears.</summary>
public sealed class RpcClientTests
{
    private static readonly IPEndPoint Remote = new(IPAddress.Parse("127.0.0.2"), 6881);
    private static readonly NodeId LocalId = NodeId.Parse("0000000000000000000000000000000000000001");
    private static readonly NodeId RemoteId = NodeId.Parse("2222222222222222222222222222222222222222");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(4);

    private readonly Lock _gate = new();
    private VirtualTimeProvider _clock = null!;
    private FakeTransport _transport = null!;
    private RecordingObserver _observer = null!;
    private Outbox _outbox = null!;
    private RpcClient _client = null!;

    [SetUp]
    public void CreateClient()
    {
        _clock = new VirtualTimeProvider();
        _transport = new FakeTransport();
        _observer = new RecordingObserver();
        _outbox = new Outbox(_gate, new FailingOwner());
        _client = new RpcClient(_transport, _outbox, _gate, _clock, new Random(1), _observer, maxOutstanding: 16, Timeout, runContinuationsInline: true);
    }

    private static PingQuery Ping => new() { Id = LocalId };

    /// <summary>Delivers <paramref name="datagram"/> as the engine does: the client's part under the gate, the completion after it.</summary>
    private void Receive(byte[] datagram, IPEndPoint source)
    {
        Assert.That(KrpcCodec.TryDecodeOwningReplies(datagram, null, out KrpcMessage? message, out _), Is.True);
        RpcCompletion completion;
        lock (_gate)
        {
            completion = _client.OnReply(message!, source);
        }

        completion.Deliver();
    }

    private static byte[] Response(ReadOnlySpan<byte> transactionId, string nodes = "") =>
        KrpcCodec.Encode(new KrpcResponse
        {
            TransactionId = transactionId.ToArray(),
            Id = RemoteId,
            Nodes = System.Text.Encoding.Latin1.GetBytes(nodes),
            ExternalAddress = new byte[] { 10, 0, 0, 7, 0x1A, 0xE1 },
        });

    private byte[] SentTransactionId(int index) => KrpcCodec.Decode(_transport.Sent[index].Datagram).TransactionId.ToArray();

    [Test]
    public void A_reply_from_the_queried_endpoint_completes_the_query_with_its_round_trip()
    {
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        Assert.That(_transport.Sent, Has.Count.EqualTo(1), "sent at once (not under the gate)");
        Assert.That(_transport.Sent[0].Destination, Is.EqualTo(Remote));

        _clock.Advance(TimeSpan.FromMilliseconds(30));
        Receive(Response(SentTransactionId(0)), Remote);

        Assert.That(query.IsCompleted, Is.True);
        RpcResult result = query.Result;
        Assert.That(result.Status, Is.EqualTo(RpcStatus.Response));
        Assert.That(result.Response!.Id, Is.EqualTo(RemoteId));
        Assert.That(result.RoundTripTime, Is.EqualTo(TimeSpan.FromMilliseconds(30)));
        Assert.That(_observer.Replies, Is.EqualTo(new[] { (RemoteId, Remote, TimeSpan.FromMilliseconds(30)) }));
        Assert.That(_observer.Votes, Is.EqualTo(new[] { (Remote.Address, IPAddress.Parse("10.0.0.7")) }));
        Assert.That(_client.SlowAfter, Is.EqualTo(RoundTripEstimator.MinSlowAfter), "the estimate learned from the round trip");
        Assert.That((_client.Responses, _client.Outstanding, _client.QueriesSent[(int)KrpcMethod.Ping]), Is.EqualTo((1L, 0, 1L)));
    }

    [Test]
    public void A_reply_matches_only_on_transaction_id_and_endpoint()
    {
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        byte[] id = SentTransactionId(0);
        byte[] otherId = [(byte)(id[0] ^ 1), id[1]];

        Receive(Response(id), new IPEndPoint(Remote.Address, Remote.Port + 1));
        Receive(Response(id), new IPEndPoint(IPAddress.Parse("127.0.0.3"), Remote.Port));
        Receive(Response(otherId), Remote);
        Assert.That(query.IsCompleted, Is.False);
        Assert.That((_client.Unmatched, _client.Outstanding), Is.EqualTo((3L, 1)));
        Assert.That(_observer.Replies, Is.Empty, "nothing unmatched reaches the routing table");

        Receive(Response(id), Remote);
        Assert.That(query.Result.Status, Is.EqualTo(RpcStatus.Response));
        Receive(Response(id), Remote);
        Assert.That(_client.Unmatched, Is.EqualTo(4L), "a transaction completes once");
    }

    [Test]
    public void A_query_unanswered_for_the_timeout_fails_and_the_observer_hears_of_it()
    {
        Task<RpcResult> first = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = new IPEndPoint(IPAddress.Parse("127.0.0.3"), 6881);
        Task<RpcResult> later = _client.SendAsync(Ping, second, null, CancellationToken.None);

        _clock.Advance(Timeout - TimeSpan.FromSeconds(1) - TimeSpan.FromMilliseconds(1));
        Assert.That(first.IsCompleted, Is.False, "not before its time");
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(first.Result.Status, Is.EqualTo(RpcStatus.Timeout));
        Assert.That(later.IsCompleted, Is.False, "the later query has a second more");
        Assert.That(_observer.Failures, Is.EqualTo(new[] { ((NodeId?)RemoteId, Remote) }));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(later.Result.Status, Is.EqualTo(RpcStatus.Timeout));
        Assert.That(_observer.Failures[1], Is.EqualTo(((NodeId?)null, second)));
        Assert.That((_client.Timeouts, _client.Outstanding), Is.EqualTo((2L, 0)));

        Receive(Response(SentTransactionId(0)), Remote);
        Assert.That(_client.Unmatched, Is.EqualTo(1L), "a reply after the timeout is late");
    }

    [Test]
    public void A_cancelled_query_leaves_no_transaction_and_is_no_failure()
    {
        using var cancel = new CancellationTokenSource();
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, cancel.Token);
        Assert.That(_client.Outstanding, Is.EqualTo(1));

        cancel.Cancel();
        Assert.That(query.Result.Status, Is.EqualTo(RpcStatus.Cancelled));
        Assert.That(_client.Outstanding, Is.Zero);

        _clock.Advance(Timeout * 2);
        Receive(Response(SentTransactionId(0)), Remote);
        Assert.That(_observer.Failures, Is.Empty, "a cancelled query says nothing about the node");
        Assert.That(_observer.Replies, Is.Empty);
        Assert.That((_client.Timeouts, _client.Unmatched), Is.EqualTo((0L, 1L)));
    }

    [Test]
    public void A_query_the_transport_refuses_is_not_sent_and_not_counted()
    {
        _transport.Refuse = true;
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        Assert.That(query.Result.Status, Is.EqualTo(RpcStatus.NotSent));
        Assert.That((_client.Outstanding, _client.QueriesSent[(int)KrpcMethod.Ping]), Is.EqualTo((0, 0L)));
        _clock.Advance(Timeout * 2);
        Assert.That(_observer.Failures, Is.Empty);
    }

    [Test]
    public void The_reply_outlives_the_receive_buffer_on_one_copy_of_the_datagram()
    {
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        byte[] buffer = Response(SentTransactionId(0), nodes: new string('n', 26));
        byte[] expected = (byte[])buffer.Clone();
        Receive(buffer, Remote);
        Array.Fill(buffer, (byte)'x'); // the transport reuses its buffer

        KrpcResponse response = query.Result.Response!;
        Assert.That(KrpcCodec.Encode(response), Is.EqualTo(expected), "every field still reads as received");
        Assert.That(MemoryMarshal.TryGetArray(response.Nodes, out ArraySegment<byte> nodes), Is.True);
        Assert.That(MemoryMarshal.TryGetArray(response.ExternalAddress, out ArraySegment<byte> ip), Is.True);
        Assert.That(MemoryMarshal.TryGetArray(response.TransactionId, out ArraySegment<byte> transaction), Is.True);
        Assert.That(nodes.Array, Is.Not.SameAs(buffer));
        Assert.That(ip.Array, Is.SameAs(nodes.Array), "one copy holds every field");
        Assert.That(transaction.Array, Is.SameAs(nodes.Array));
        Assert.That(nodes.Array, Has.Length.EqualTo(expected.Length), "the copy is the datagram, nothing more");
    }

    [Test]
    public void An_error_reply_completes_the_query_as_an_error_without_telling_the_routing_table()
    {
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        byte[] error = KrpcCodec.Encode(new KrpcError { TransactionId = SentTransactionId(0), Code = 203, Message = "bad"u8.ToArray() });
        Receive(error, Remote);
        Assert.That(query.Result.Status, Is.EqualTo(RpcStatus.Error));
        Assert.That(query.Result.Error!.MessageText, Is.EqualTo("bad"));
        Assert.That((_client.Errors, _client.Responses), Is.EqualTo((1L, 0L)));
        Assert.That(_observer.Replies, Is.Empty);
    }

    [Test]
    public void Stopping_ends_queries_in_flight_as_cancelled_and_sends_nothing_more()
    {
        Task<RpcResult> query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
        _client.Stop();
        Assert.That(query.Result.Status, Is.EqualTo(RpcStatus.Cancelled));
        Assert.That(_client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None).Result.Status, Is.EqualTo(RpcStatus.NotSent));
        Assert.That(_transport.Sent, Has.Count.EqualTo(1));
        _clock.Advance(Timeout * 2);
        Assert.That(_observer.Failures, Is.Empty);
    }

    [Test]
    public void A_query_sent_under_the_gate_leaves_when_the_holder_flushes()
    {
        Task<RpcResult> query;
        lock (_gate)
        {
            query = _client.SendAsync(Ping, Remote, RemoteId, CancellationToken.None);
            Assert.That(_transport.Sent, Is.Empty, "the transport (and its send policy) never runs under the gate");
        }

        _outbox.Flush();
        Assert.That(_transport.Sent, Has.Count.EqualTo(1));
        Assert.That(query.IsCompleted, Is.False);
    }

    private sealed class FakeTransport : IDatagramTransport
    {
        public List<(byte[] Datagram, IPEndPoint Destination)> Sent { get; } = [];

        public bool Refuse { get; set; }

        public IPEndPoint LocalEndPoint { get; } = new(IPAddress.Loopback, 6881);

        public void Start(IDatagramReceiver receiver)
        {
        }

        public bool TrySend(ReadOnlySpan<byte> datagram, IPEndPoint destination)
        {
            if (Refuse)
            {
                return false;
            }

            Sent.Add((datagram.ToArray(), destination));
            return true;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class RecordingObserver : IRpcObserver
    {
        public List<(NodeId, IPEndPoint, TimeSpan)> Replies { get; } = [];

        public List<(NodeId?, IPEndPoint)> Failures { get; } = [];

        public List<(IPAddress, IPAddress)> Votes { get; } = [];

        public void OnReply(NodeId id, IPEndPoint endPoint, TimeSpan roundTrip) => Replies.Add((id, endPoint, roundTrip));

        public void OnFailure(NodeId? expectedId, IPEndPoint endPoint) => Failures.Add((expectedId, endPoint));

        public void OnExternalAddress(IPAddress voter, ReadOnlySpan<byte> compactEndPoint) => Votes.Add((voter, new IPAddress(compactEndPoint[..^2])));
    }

    /// <summary>A transport that throws fails the test; a datagram not sent is the test's to check.</summary>
    private sealed class FailingOwner : IOutboxOwner
    {
        public void OnSendFault(Exception exception, IPEndPoint destination) => throw new AssertionException($"the transport threw: {exception}");

        public void OnNotSent(IPEndPoint destination)
        {
        }
    }
}
