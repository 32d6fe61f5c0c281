using System.Net;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>Sends <c>ping</c> to <paramref name="endPoint"/>.</summary>
    public Task<RpcResult> PingAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return SendQueryAsync(new PingQuery { Id = Id, ReadOnly = _context.ReadOnly, Version = _options.Version }, endPoint, null, cancellationToken);
    }

    /// <summary>
    /// Sends one query to <paramref name="endPoint"/> and completes with its outcome; never throws
    /// for network conditions (timeouts, errors and refusals are <see cref="RpcStatus"/> values).
    /// The transaction id is chosen by the node: the query's own is ignored. The query leaves from
    /// the socket of the endpoint's family (<see cref="RpcStatus.NotSent"/> when that family does not run).
    /// </summary>
    public Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(endPoint);
        return SendQueryAsync(query, endPoint, null, cancellationToken);
    }

    /// <summary>Sends through the engine of <paramref name="endPoint"/>'s family; not sent when that family does not run.</summary>
    internal Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken) =>
        EngineOf(DhtEngine.FamilyOf(endPoint)) is DhtEngine engine
            ? engine.Rpc.SendAsync(query, endPoint, expectedId, cancellationToken)
            : Task.FromResult(new RpcResult(RpcStatus.NotSent, endPoint, null, null, TimeSpan.Zero));
}
