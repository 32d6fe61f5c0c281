using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Storage;

namespace MainlineDht.Node.Handlers;

/// <summary>
/// BEP 5 <c>announce_peer</c>: with a valid token, stores the peer (at the UDP source port for
/// <c>implied_port</c>). An announce the store refuses is answered with an error, not as accepted.
/// </summary>
internal sealed class AnnouncePeerHandler : IQueryHandler
{
    public static readonly AnnouncePeerHandler Instance = new();

    public void Handle(KrpcQuery query, IPEndPoint source, ReplyBuilder reply)
    {
        var announce = (AnnouncePeerQuery)query;
        NodeContext node = reply.Node;
        if (!node.Tokens.Validate(source.Address, announce.Token.Span, reply.Now))
        {
            reply.SendError(KrpcErrorCode.Protocol, "bad token");
            return;
        }

        int port = announce.ImpliedPort ? source.Port : announce.Port;
        if (port is < 1 or > 65535)
        {
            reply.SendError(KrpcErrorCode.Protocol, "invalid port");
            return;
        }

        switch (node.Peers.Announce(announce.InfoHash, new IPEndPoint(source.Address, port), announce.Seed, reply.Now))
        {
            case AnnounceOutcome.RefusedStoreFull:
                // 202 server error: the refusal is ours, not the announcer's mistake; it still has
                // the other closest nodes to announce to. Counted only as the error sent.
                reply.SendError(KrpcErrorCode.Server, "store full");
                return;

            case AnnounceOutcome.RefusedInvalidPeer:
                reply.SendError(KrpcErrorCode.Protocol, "invalid peer");
                return;
        }

        node.Counters.AnnouncesAccepted++;
        node.Metrics.AnnounceAccepted();
        node.Metrics.StoreChanged(node.Peers.PeerCount, node.Peers.InfoHashCount);
        reply.SendResponse();
        node.Watchers?.Publish(new HeardQuery(KrpcMethod.AnnouncePeer, announce.InfoHash, source, announce.Id, port, announce.ImpliedPort, announce.Seed, reply.Now));
    }
}
