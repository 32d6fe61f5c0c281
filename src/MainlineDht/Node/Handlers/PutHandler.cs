using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 44 <c>put</c>: with a valid write token (else 203 "bad token"), the item goes to the item
/// store, which applies every BEP 44 rule; a refusal is answered with its own code and message
/// (205, 206, 207, 301, 302, 203, or 202 when the node has no signature verifier for a mutable item)
/// so that the putter sees why (libtorrent #3578), and an accepted put with an empty response.
/// </summary>
internal sealed class PutHandler : IQueryHandler
{
    public static readonly PutHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var put = (PutQuery)query;
        NodeContext node = reply.Node;
        if (!node.Tokens.Validate(source.Address, put.Token.Span, reply.Now))
        {
            reply.SendError(KrpcErrorCode.Protocol, "bad token");
            return;
        }

        ItemPutOutcome outcome = node.Items.Put(put, reply.Now);
        if (!outcome.IsStored())
        {
            reply.SendError(outcome.ErrorCode(), outcome.ErrorMessage());
            return;
        }

        node.Counters.ItemsAccepted++;
        reply.SendResponse();
    }
}
