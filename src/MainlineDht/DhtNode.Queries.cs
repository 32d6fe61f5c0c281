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

    internal Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken) =>
        _rpc.SendAsync(query, endPoint, expectedId, cancellationToken);
}
