using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>Sends <c>ping</c> to <paramref name="endPoint"/>.</summary>
    public Task<RpcResult> PingAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return SendQueryAsync(new PingQuery { Id = Id, ReadOnly = _options.ReadOnly, Version = _options.Version }, endPoint, null, cancellationToken);
    }

    /// <summary>
    /// Sends one query to <paramref name="endPoint"/> and completes with its outcome; never throws
    /// for network conditions (timeouts, errors and refusals are <see cref="RpcStatus"/> values).
    /// The transaction id is chosen by the node: the query's own is ignored.
    /// </summary>
    public Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(endPoint);
        return SendQueryAsync(query, endPoint, null, cancellationToken);
    }

    internal Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromResult(new RpcResult(RpcStatus.Cancelled, endPoint, null, null, TimeSpan.Zero));
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return Task.FromResult(new RpcResult(RpcStatus.NotSent, endPoint, null, null, TimeSpan.Zero));
            }

            var pending = new PendingQuery(endPoint, query.Method, expectedId, _time.GetTimestamp(), !_options.RunContinuationsInline);
            if (!_transactions.TryAdd(pending))
            {
                return Task.FromResult(new RpcResult(RpcStatus.NotSent, endPoint, null, null, TimeSpan.Zero));
            }

            Span<byte> transactionId = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(transactionId, pending.TransactionId);
            byte[] send = ArrayPool<byte>.Shared.Rent(SendBufferSize);
            bool sent = KrpcCodec.TryEncode(query, transactionId, send, out int written)
                && _transport.TrySend(send.AsSpan(0, written), endPoint);
            ArrayPool<byte>.Shared.Return(send);
            if (!sent)
            {
                _transactions.Remove(pending);
                return Task.FromResult(new RpcResult(RpcStatus.NotSent, endPoint, null, null, TimeSpan.Zero));
            }

            _counters.QueriesSent[(int)query.Method]++;
            pending.Timer = _time.CreateTimer(static s => ((PendingQuery)s!).Owner!.OnTimeout((PendingQuery)s!), pending, _options.QueryTimeout, Timeout.InfiniteTimeSpan);
            pending.Owner = this;
            if (cancellationToken.CanBeCanceled)
            {
                pending.Cancellation = cancellationToken.UnsafeRegister(static s => ((PendingQuery)s!).Owner!.OnCancelled((PendingQuery)s!), pending);
            }

            return pending.Completion.Task;
        }
    }

    private void OnTimeout(PendingQuery pending)
    {
        lock (_gate)
        {
            if (!_transactions.Remove(pending))
            {
                return;
            }

            pending.Timer?.Dispose();
            pending.Cancellation.Unregister();
            _counters.Timeouts++;
            if (!_disposed)
            {
                RoutingOnFailure(pending.ExpectedId, pending.EndPoint, _time.GetUtcNow());
            }

            pending.Completion.TrySetResult(new RpcResult(RpcStatus.Timeout, pending.EndPoint, null, null, TimeSpan.Zero));
        }
    }

    private void OnCancelled(PendingQuery pending)
    {
        lock (_gate)
        {
            if (!_transactions.Remove(pending))
            {
                return;
            }

            pending.Timer?.Dispose();
            pending.Completion.TrySetResult(new RpcResult(RpcStatus.Cancelled, pending.EndPoint, null, null, TimeSpan.Zero));
        }
    }
}
