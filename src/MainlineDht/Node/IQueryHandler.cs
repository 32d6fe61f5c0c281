using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node;

/// <summary>Answers one query method (see <see cref="QueryMethods"/>). Stateless; runs under the node's gate.</summary>
internal interface IQueryHandler
{
    /// <summary>
    /// Answers <paramref name="query"/> from <paramref name="source"/>: adds what the reply carries to
    /// <paramref name="reply"/> and sends it (a response or an error). Exactly one reply is sent.
    /// </summary>
    void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply);
}
