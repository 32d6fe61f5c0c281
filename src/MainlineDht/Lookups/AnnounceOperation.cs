using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// An announce on one address family: a <c>get_peers</c> traversal, then <c>announce_peer</c> to the
/// K closest nodes that answered with a write token.
/// </summary>
/// <param name="network">The family's network.</param>
/// <param name="infoHash">The infohash announced.</param>
/// <param name="port">The <c>port</c> sent (mandatory in BEP 5 even with <c>implied_port</c>).</param>
/// <param name="impliedPort">Whether the query says <c>implied_port</c>: the receiver stores our UDP source port.</param>
/// <param name="peers">Where the peers the traversal meets are collected.</param>
/// <param name="seed">BEP 33 <c>seed</c>: the announced peer is a seed.</param>
internal sealed class AnnounceOperation(ILookupNetwork network, NodeId infoHash, int port, bool impliedPort, PeerCollector peers, bool seed = false)
    : GetPeersOperation(network, infoHash, peers)
{
    /// <summary>The nodes that accepted the announce (answered it with a response), nearest first; set once the announce ended.</summary>
    public IReadOnlyList<NodeInfo> AnnouncedTo { get; private set; } = [];

    /// <summary>Sends <c>announce_peer</c>, with each node's own token, to the K closest that gave one; all at once.</summary>
    public override async Task AfterTraversalAsync(Traversal traversal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(traversal);
        List<Traversal.Candidate> targets = traversal.ClosestWithToken(Traversal.K);
        Task<RpcResult>[] sends = targets.Select(c => Network.SendQueryAsync(
            new AnnouncePeerQuery { Id = Network.LocalId, InfoHash = Target, Port = port, ImpliedPort = impliedPort, Token = c.Token, Seed = seed, ReadOnly = Network.ReadOnly, Version = Network.Version },
            c.EndPoint,
            c.Id,
            cancellationToken)).ToArray();
        RpcResult[] results = await Task.WhenAll(sends).ConfigureAwait(false);
        var accepted = new List<NodeInfo>(results.Length);
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Status == RpcStatus.Response)
            {
                accepted.Add(new NodeInfo(targets[i].Id!.Value, targets[i].EndPoint));
            }
        }

        AnnouncedTo = accepted;
    }
}
