using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 44 <c>get</c>: a write token (for a later <c>put</c>), the item stored under the target if
/// there is one (see <see cref="ReplyBuilder.AddItem"/> for what a mutable item carries and the
/// <c>seq</c> rule), and the closest nodes of the families wanted, as many as the item leaves room for.
/// </summary>
internal sealed class GetHandler : IQueryHandler
{
    public static readonly GetHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var get = (GetQuery)query;
        reply.AddToken();
        if (reply.Node.Items.TryGet(get.Target, reply.Now, out StoredItem? item))
        {
            reply.AddItem(item, get.Sequence);
        }

        reply.AddNodes(get.Target, get.Want);
        reply.SendResponse();
    }
}
