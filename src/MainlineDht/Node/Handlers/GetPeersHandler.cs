using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 5 <c>get_peers</c>: a write token, the closest nodes, and the stored peers of the requester's
/// family that fit what is left of the reply (BEP 33: without seeds for <c>noseed</c>, with the bloom
/// filters for <c>scrape</c>).
/// </summary>
internal sealed class GetPeersHandler : IQueryHandler
{
    public static readonly GetPeersHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var getPeers = (GetPeersQuery)query;
        reply.AddToken();
        if (getPeers.Scrape)
        {
            reply.AddScrapeFilters(getPeers.InfoHash);
        }

        reply.AddNodes(getPeers.InfoHash, getPeers.Want);
        reply.AddValues(getPeers.InfoHash, getPeers.NoSeed); // last: values fill what the rest leaves
        reply.SendResponse();
        reply.Node.Watchers?.Publish(new HeardQuery(KrpcMethod.GetPeers, getPeers.InfoHash, source, getPeers.Id, null, false, false, reply.Now));
    }
}
