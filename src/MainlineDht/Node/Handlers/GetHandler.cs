using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 44 <c>get</c>, until BEP 44 storage exists. No item is stored here: the node answers
/// <c>get</c> and <c>put</c> as a BEP 5 node without BEP 44 does, one story for both. <c>get</c>
/// carries a target, so it is answered like <c>find_node</c> (as any unknown query with a target):
/// a get traversal continues through us, but no write token is handed out, since nothing may be put
/// here; <c>put</c> gets 204 (<see cref="UnknownQueryHandler"/>). A token with no storage behind it
/// would invite puts that are then refused or lost.
/// </summary>
internal sealed class GetHandler : IQueryHandler
{
    public static readonly GetHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var get = (GetQuery)query;
        reply.AddNodes(get.Target, get.Want);
        reply.SendResponse();
    }
}
