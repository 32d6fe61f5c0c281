using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;
using MainlineDht.Transport;

namespace MainlineDht.Node;

/// <summary>
/// Answers the queries one engine receives: a read-only node answers nothing (BEP 43), a source over
/// its rate is ignored, every other query goes to its method's handler (<see cref="QueryMethods"/>)
/// and, once answered, the querier is shown to the routing table. A datagram that is not a valid
/// query is answered with an error when the codec says one is due. Runs under the gate, but for the
/// per-IP limit's decision (<see cref="Admit"/>), taken before it.
/// </summary>
internal sealed class QueryDispatcher
{
    private readonly NodeContext _node;
    private readonly IQueryHost _host;
    private readonly IDatagramTransport _transport;
    private ReplyBuilder? _reply;

    public QueryDispatcher(NodeContext node, IQueryHost host, IDatagramTransport transport)
    {
        _node = node;
        _host = host;
        _transport = transport;
    }

    /// <summary>Made at the first query: about 1 KB that most nodes of a large simulation never need.</summary>
    private ReplyBuilder Reply => _reply ??= new ReplyBuilder(_node, _host, _transport);

    /// <summary>
    /// Outside the gate, before <see cref="Dispatch"/>: the per-IP limit's decision about a query from
    /// <paramref name="source"/> (a token taken when allowed). A read-only node answers nothing and takes
    /// no token (BEP 43); what it decides is applied, and counted, under the gate.
    /// </summary>
    public QueryAdmission Admit(IPEndPoint source) =>
        _node.ReadOnly || _node.RateLimiter is not { } limiter ? QueryAdmission.Allowed : limiter.Admit(source.Address);

    /// <summary>Handles a query from <paramref name="source"/>, <paramref name="size"/> bytes long on the wire, given what <see cref="Admit"/> decided.</summary>
    public void Dispatch(KrpcQuery query, IPEndPoint source, int size, QueryAdmission admission)
    {
        _node.OnQueryReceived();
        if (_node.ReadOnly)
        {
            return; // BEP 43: a read-only node answers nothing.
        }

        switch (admission)
        {
            case QueryAdmission.Limited:
                _node.Counters.RateLimited++;
                _node.Metrics.QueryRateLimited();
                return;
            case QueryAdmission.Banned:
                _node.Counters.Banned++;
                return;
        }

        _node.Counters.QueriesReceived[(int)query.Method]++;
        _node.Metrics.QueryReceived(query.Method);
        DateTimeOffset now = _node.Time.GetUtcNow();
        bool verified = _host.IsVerified(query.Id, source);
        ReplyBuilder reply = Reply;
        reply.Begin(query, source, now, ReplyLimit(verified, size), verified);
        QueryMethods.HandlerOf(query.Method).Handle(query, source, reply);
        if (reply.RefusedOverBudget && !verified && !query.ReadOnly)
        {
            _host.OnRefusedOverBudget(query.Id, source);
        }

        // After the answer, so that verifying an unknown querier never delays its reply.
        if (!query.ReadOnly && query.Id != _node.Id)
        {
            _host.OnQueried(query.Id, source, now);
        }
    }

    /// <summary>Handles a datagram the codec rejected: counted, and answered with the error it calls for (within the amplification limit).</summary>
    public void OnMalformed(in KrpcDecodeError error, IPEndPoint source, int size)
    {
        _node.Counters.Malformed++;
        _node.Metrics.DatagramMalformed();
        if (error.ShouldReply && !_node.ReadOnly && _node.RateLimiter?.TryAcquire(source.Address) != false)
        {
            // A datagram that is not a valid query names no node id: its source counts as unverified.
            Reply.SendError(error.TransactionId.Span, error.ReplyCode!.Value, error.Reason, source, ReplyLimit(verified: false, size), verified: false);
        }
    }

    /// <summary>
    /// How big a reply may be, before the 1,200-byte budget (<see cref="ReplyBuilder.Begin"/> applies
    /// it): unbounded for a verified node; for any other source at most
    /// <see cref="DhtNodeOptions.AmplificationLimit"/> times its query, so that it cannot turn us into an amplifier.
    /// </summary>
    private int ReplyLimit(bool verified, int querySize)
    {
        int factor = _node.Options.AmplificationLimit;
        return verified || factor == 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, (long)factor * querySize);
    }
}
