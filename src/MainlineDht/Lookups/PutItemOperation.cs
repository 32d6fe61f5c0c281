using MainlineDht.Items;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// A BEP 44 put on one address family: a <c>get</c> traversal toward the item's target for write
/// tokens (a put without one is refused: bittorrent-dht #74), then <c>put</c>, with each node's own
/// token, to the K closest nodes that gave one; each answer is kept (stored, refused with its code,
/// or unanswered), so that a caller sees a <c>cas</c> or <c>seq</c> refusal (libtorrent #3578).
/// </summary>
/// <param name="network">The family's network.</param>
/// <param name="item">The item put.</param>
/// <param name="compareAndSwap">Mutable items: the sequence number the put expects to replace (<c>cas</c>), or null.</param>
internal sealed class PutItemOperation(ILookupNetwork network, DhtItem item, long? compareAndSwap)
    : GetItemOperation(network, item.Target, items: null)
{
    /// <summary>The nodes that stored the item, nearest first; set once the puts ended.</summary>
    public IReadOnlyList<NodeInfo> Accepted { get; private set; } = [];

    /// <summary>The nodes that refused it, with their error, nearest first.</summary>
    public IReadOnlyList<ItemPutRefusal> Refused { get; private set; } = [];

    /// <summary>The nodes that did not answer the put.</summary>
    public IReadOnlyList<NodeInfo> Unanswered { get; private set; } = [];

    /// <summary>Sends <c>put</c> to the K closest that gave a token, all at once.</summary>
    public override async Task AfterTraversalAsync(Traversal traversal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(traversal);
        List<Traversal.Candidate> targets = traversal.ClosestWithToken(Traversal.K);
        Task<RpcResult>[] sends = targets.Select(c => Network.SendQueryAsync(Query(c.Token!), c.EndPoint, c.Id, cancellationToken)).ToArray();
        RpcResult[] results = await Task.WhenAll(sends).ConfigureAwait(false);
        var accepted = new List<NodeInfo>(results.Length);
        var refused = new List<ItemPutRefusal>();
        var unanswered = new List<NodeInfo>();
        for (int i = 0; i < results.Length; i++)
        {
            var node = new NodeInfo(targets[i].Id!.Value, targets[i].EndPoint);
            switch (results[i].Status)
            {
                case RpcStatus.Response:
                    accepted.Add(node);
                    break;
                case RpcStatus.Error:
                    refused.Add(new ItemPutRefusal(node, results[i].Error!.Code, results[i].Error!.MessageText));
                    break;
                default:
                    unanswered.Add(node);
                    break;
            }
        }

        Accepted = accepted;
        Refused = refused;
        Unanswered = unanswered;
    }

    private PutQuery Query(byte[] token) => new()
    {
        Id = Network.LocalId,
        Token = token,
        Value = item.Value,
        PublicKey = item.PublicKey,
        Salt = item.Salt,
        Sequence = item.Sequence,
        Signature = item.Signature,
        CompareAndSwap = item.IsMutable ? compareAndSwap : null,
        ReadOnly = Network.ReadOnly,
        Version = Network.Version,
    };
}
