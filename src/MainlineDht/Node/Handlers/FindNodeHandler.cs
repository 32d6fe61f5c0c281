using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>BEP 5 <c>find_node</c>: the closest nodes to the target we know, of the families wanted (BEP 32).</summary>
internal sealed class FindNodeHandler : IQueryHandler
{
    public static readonly FindNodeHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var findNode = (FindNodeQuery)query;
        reply.AddNodes(findNode.Target, findNode.Want);
        reply.SendResponse();
    }
}
