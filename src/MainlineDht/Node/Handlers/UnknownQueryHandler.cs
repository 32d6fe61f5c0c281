using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// A method we do not serve. One that carries <c>target</c> or <c>info_hash</c> is answered like
/// <c>find_node</c> (forward compatibility, as libtorrent does); any other gets 204 "method unknown".
/// </summary>
internal sealed class UnknownQueryHandler : IQueryHandler
{
    public static readonly UnknownQueryHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        if (query is UnknownQuery unknown && (unknown.Target ?? unknown.InfoHash) is NodeId target)
        {
            reply.AddNodes(target, unknown.Want);
            reply.SendResponse();
            return;
        }

        reply.SendError(KrpcErrorCode.MethodUnknown, "method unknown");
    }
}
