using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// An announce on one address family: a <c>get_peers</c> traversal, then <c>announce_peer</c> to the
/// K closest nodes that answered with a write token; one of them that does not accept it (no answer:
/// a lost datagram; an error) is replaced by the next closest responder with a token, so that loss
/// costs an announce as few of its places as can be filled.
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
    /// <summary>False: the announce goes to the K closest, so all K must have answered.</summary>
    public override bool SeeksValues => false;

    /// <summary>The nodes that accepted the announce (answered it with a response), nearest first; set once the announce ended.</summary>
    public IReadOnlyList<NodeInfo> AnnouncedTo { get; private set; } = [];

    /// <summary>
    /// Sends <c>announce_peer</c>, with each node's own token, to the K closest that gave one, all at
    /// once; each one that did not accept it is replaced by the next closest with a token beyond them.
    /// </summary>
    public override async Task AfterTraversalAsync(Traversal traversal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(traversal);
        List<Traversal.Candidate> targets = traversal.ClosestWithToken(Traversal.K);
        var spares = new Queue<Traversal.Candidate>(traversal.ClosestResponded(int.MaxValue).Skip(Traversal.K).Where(c => c.Token is not null));
        var accepted = new List<Traversal.Candidate>(targets.Count);
        while (targets.Count > 0 && !cancellationToken.IsCancellationRequested)
        {
            RpcResult[] results = await Task.WhenAll(targets.Select(c => Network.SendQueryAsync(
                new AnnouncePeerQuery { Id = Network.LocalId, InfoHash = Target, Port = port, ImpliedPort = impliedPort, Token = c.Token, Seed = seed, ReadOnly = Network.ReadOnly, Version = Network.Version },
                c.EndPoint,
                c.Id,
                cancellationToken))).ConfigureAwait(false);
            var again = new List<Traversal.Candidate>();
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i].Status == RpcStatus.Response)
                {
                    accepted.Add(targets[i]);
                }
                else if (results[i].Status != RpcStatus.Cancelled && spares.TryDequeue(out Traversal.Candidate? spare))
                {
                    again.Add(spare);
                }
            }

            targets = again;
        }

        AnnouncedTo = [.. accepted.OrderBy(c => c.Id!.Value, Comparer<NodeId>.Create(Target.CompareDistance)).Select(c => new NodeInfo(c.Id!.Value, c.EndPoint))];
    }
}
