using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>BEP 5 <c>ping</c>: a response with our id.</summary>
internal sealed class PingHandler : IQueryHandler
{
    public static readonly PingHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply) => reply.SendResponse();
}
