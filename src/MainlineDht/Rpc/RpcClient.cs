using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Transport;

namespace MainlineDht.Rpc;

/// <summary>
/// Sends one transport's queries and matches their replies: owns the <see cref="TransactionTable"/>,
/// the timeouts (one timer, queries in deadline order), the round-trip estimate, and the counters of
/// what it sent and heard. Outcomes go to an <see cref="IRpcObserver"/> and to the awaiting caller.
/// </summary>
/// <remarks>
/// Runs under the node's gate like everything that touches the node's state: the public methods
/// take it, <see cref="OnReply"/> is called under it. Datagrams leave through the node's
/// <see cref="Outbox"/>, and awaiting callers are completed outside the gate (see <see cref="RpcCompletion"/>).
/// </remarks>
internal sealed class RpcClient : IOutboxSender
{
    /// <summary>Room for any query a caller may build (a BEP 44 <c>put</c> with a 1000-byte value is the largest).</summary>
    private const int SendBufferSize = KrpcCodec.MaxDatagramSize + 512;

    private readonly IDatagramTransport _transport;
    private readonly Outbox _outbox;
    private readonly Lock _gate;
    private readonly TimeProvider _time;
    private readonly IRpcObserver _observer;
    private readonly TransactionTable _transactions;
    private readonly TimeSpan _timeout;
    private readonly bool _runContinuationsInline;
    private PerMethodCounts _queriesSent; // inline: no array per node
    private RoundTripEstimator _roundTrips;
    private PendingQuery? _oldest; // the queries in flight, oldest first: with one timeout for all, that is deadline order
    private PendingQuery? _newest;
    private ITimer? _timer;
    private bool _stopped;

    public RpcClient(
        IDatagramTransport transport,
        Outbox outbox,
        Lock gate,
        TimeProvider time,
        Random random,
        IRpcObserver observer,
        int maxOutstanding,
        TimeSpan timeout,
        bool runContinuationsInline)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _transport = transport;
        _outbox = outbox;
        _gate = gate;
        _time = time;
        _observer = observer;
        _transactions = new TransactionTable(maxOutstanding, random);
        _timeout = timeout;
        _runContinuationsInline = runContinuationsInline;
    }

    /// <summary>Queries in flight (under the gate).</summary>
    public int Outstanding => _transactions.Count;

    /// <summary>The node's instruments (queries sent, replies, timeouts); none in tests that build a client alone.</summary>
    public Diagnostics.DhtMetrics? Metrics { get; init; }

    /// <summary>The gauge of this family's queries in flight, written as queries start and end.</summary>
    public Diagnostics.FamilyGauges? Gauges { get; init; }

    /// <summary>How long a lookup waits before it counts a node as slow (from the round trips measured so far; under the gate).</summary>
    public TimeSpan SlowAfter => _roundTrips.SlowAfter;

    /// <summary>Queries sent, indexed by <see cref="KrpcMethod"/> (under the gate).</summary>
    public ReadOnlySpan<long> QueriesSent => _queriesSent;

    public long Responses { get; private set; }

    public long Errors { get; private set; }

    /// <summary>Replies that matched no query in flight (late, forged, or from another endpoint).</summary>
    public long Unmatched { get; private set; }

    public long Timeouts { get; private set; }

    /// <summary>
    /// Sends <paramref name="query"/> to <paramref name="endPoint"/> under a transaction id of our
    /// choosing and completes with its outcome; never throws for network conditions.
    /// </summary>
    public Task<RpcResult> SendAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromResult(new RpcResult(RpcStatus.Cancelled, endPoint, null, null, TimeSpan.Zero));
        }

        PendingQuery pending;
        lock (_gate)
        {
            pending = new PendingQuery(endPoint, query.Method, expectedId, _time.GetTimestamp(), !_runContinuationsInline);
            if (_stopped || !_transactions.TryAdd(pending))
            {
                return Task.FromResult(new RpcResult(RpcStatus.NotSent, endPoint, null, null, TimeSpan.Zero));
            }

            Span<byte> transactionId = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(transactionId, pending.TransactionId);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(SendBufferSize);
            if (!KrpcCodec.TryEncode(query, transactionId, buffer, out int written))
            {
                ArrayPool<byte>.Shared.Return(buffer);
                _transactions.Remove(pending);
                return Task.FromResult(new RpcResult(RpcStatus.NotSent, endPoint, null, null, TimeSpan.Zero));
            }

            // Counted as sent now; a datagram the transport refuses is taken back (OnNotSent).
            _queriesSent[(int)query.Method]++;
            Link(pending);
            if (cancellationToken.CanBeCanceled)
            {
                pending.Cancellation = cancellationToken.UnsafeRegister(
                    static s => ((Cancelled)s!).Client.OnCancelled(((Cancelled)s!).Query), new Cancelled(this, pending));
            }

            _outbox.Enqueue(_transport, buffer, written, endPoint, this, pending);
        }

        _outbox.Flush();
        return pending.Completion.Task;
    }

    /// <summary>
    /// A reply (response or error) arrived, decoded over memory of its own
    /// (<see cref="KrpcCodec.TryDecodeOwningReplies"/>: the awaiting caller keeps it). When it answers
    /// a query in flight — same transaction id, same endpoint — the observer hears of it, and the
    /// returned completion is to be delivered once the gate is released. Under the gate.
    /// </summary>
    public RpcCompletion OnReply(KrpcMessage message, IPEndPoint source)
    {
        if (!_transactions.TryTake(message.TransactionId.Span, source, out PendingQuery pending))
        {
            Unmatched++;
            return default;
        }

        Unlink(pending);
        pending.Cancellation.Unregister();
        TimeSpan roundTrip = _time.GetElapsedTime(pending.SentTimestamp);
        _roundTrips.Add(roundTrip);

        if (message is KrpcResponse response)
        {
            Responses++;
            Metrics?.ResponseReceived();
            _observer.OnReply(response.Id, source, roundTrip);
            if (response.ExternalAddress.Length is CompactFormat.PeerV4Size or CompactFormat.PeerV6Size)
            {
                _observer.OnExternalAddress(source.Address, response.ExternalAddress.Span);
            }

            return new RpcCompletion(pending, new RpcResult(RpcStatus.Response, source, response, null, roundTrip));
        }

        Errors++;
        Metrics?.ErrorReceived();
        return new RpcCompletion(pending, new RpcResult(RpcStatus.Error, source, null, message as KrpcError, roundTrip));
    }

    /// <summary>Ends every query in flight as <see cref="RpcStatus.Cancelled"/>; later sends are not sent. Outside the gate.</summary>
    public void Stop()
    {
        List<PendingQuery> all;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            _timer?.Dispose();
            all = _transactions.TakeAll();
            for (PendingQuery? query = _oldest; query is not null;)
            {
                PendingQuery? next = query.Next;
                query.Previous = query.Next = null;
                query = next;
            }

            _oldest = _newest = null;
            Gauges?.Outstanding = 0;
        }

        foreach (PendingQuery query in all)
        {
            query.Cancellation.Unregister();
            query.Completion.TrySetResult(new RpcResult(RpcStatus.Cancelled, query.EndPoint, null, null, TimeSpan.Zero));
        }
    }

    void IOutboxSender.OnSent(object? state, int tag) => Metrics?.QuerySent(((PendingQuery)state!).Method);

    void IOutboxSender.OnNotSent(object? state, int tag)
    {
        var pending = (PendingQuery)state!;
        lock (_gate)
        {
            if (!_transactions.Remove(pending))
            {
                return; // already ended (stopped)
            }

            Unlink(pending);
            _queriesSent[(int)pending.Method]--;
        }

        pending.Cancellation.Unregister();
        pending.Completion.TrySetResult(new RpcResult(RpcStatus.NotSent, pending.EndPoint, null, null, TimeSpan.Zero));
    }

    private void OnCancelled(PendingQuery pending)
    {
        lock (_gate)
        {
            if (!_transactions.Remove(pending))
            {
                return;
            }

            Unlink(pending);
        }

        pending.Completion.TrySetResult(new RpcResult(RpcStatus.Cancelled, pending.EndPoint, null, null, TimeSpan.Zero));
    }

    /// <summary>The timer: every query whose time is up fails (the observer hears first), then the timer waits for the next.</summary>
    private void OnTimer()
    {
        List<PendingQuery>? expired = null;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            long now = _time.GetTimestamp();
            while (_oldest is PendingQuery query && _time.GetElapsedTime(query.SentTimestamp, now) >= _timeout)
            {
                _transactions.Remove(query);
                Unlink(query);
                query.Cancellation.Unregister();
                Timeouts++;
                Metrics?.Timeout();
                (expired ??= []).Add(query);
                _observer.OnFailure(query.ExpectedId, query.EndPoint);
            }

            Arm(now);
        }

        foreach (PendingQuery query in expired ?? [])
        {
            query.Completion.TrySetResult(new RpcResult(RpcStatus.Timeout, query.EndPoint, null, null, TimeSpan.Zero));
        }

        _outbox.Flush(); // what the observer sent (pings to verify a node that failed)
    }

    /// <summary>Sets the timer for the oldest query's deadline (whole milliseconds, rounded up: a timer firing early would spin).</summary>
    private void Arm(long now)
    {
        if (_oldest is null)
        {
            return; // the timer may still fire once for a query answered since; it finds nothing due
        }

        TimeSpan left = _timeout - _time.GetElapsedTime(_oldest.SentTimestamp, now);
        TimeSpan due = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(left.TotalMilliseconds)));
        _timer ??= _time.CreateTimer(static s => ((RpcClient)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void Link(PendingQuery query)
    {
        Gauges?.Outstanding = _transactions.Count;
        if (_newest is null)
        {
            _oldest = _newest = query;
            Arm(query.SentTimestamp);
            return;
        }

        query.Previous = _newest;
        _newest.Next = query;
        _newest = query;
    }

    private void Unlink(PendingQuery query)
    {
        if (query.Previous is null)
        {
            _oldest = query.Next;
        }
        else
        {
            query.Previous.Next = query.Next;
        }

        if (query.Next is null)
        {
            _newest = query.Previous;
        }
        else
        {
            query.Next.Previous = query.Previous;
        }

        query.Previous = query.Next = null;
        Gauges?.Outstanding = _transactions.Count;
    }

    private sealed record Cancelled(RpcClient Client, PendingQuery Query);
}

/// <summary>The outcome of a reply for its awaiting caller, delivered once the node's gate is released.</summary>
internal readonly struct RpcCompletion(PendingQuery? query, RpcResult result)
{
    /// <summary>Completes the awaiting caller's task (its continuation may run here when the node runs continuations inline).</summary>
    public void Deliver() => query?.Completion.TrySetResult(result);
}
