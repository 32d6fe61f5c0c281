using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// A bucket's refresh after a join: a <c>find_node</c> toward a random id at distance
/// <c>depth</c> from ours (sharing our id's first <c>depth</c> bits, not the next), which has what it
/// came for once <see cref="Wanted"/> distinct nodes of that range have answered (each answer offers
/// its node to the routing table, which takes it when the bucket has room). A far bucket's range
/// holds a good share of the network, so this ends after a few rounds instead of converging on the
/// random id; a near bucket whose range holds fewer nodes runs to the end, as a plain
/// <c>find_node</c> does. The good nodes the bucket holds already count (<paramref name="known"/>),
/// and no more queries are in flight at once than answers are still wanted: a refresh asks about as
/// many nodes as the bucket lacks, plus those that do not answer.
/// </summary>
internal sealed class BucketFillOperation(ILookupNetwork network, NodeId target, NodeId localId, int depth, IEnumerable<NodeId> known) : TraversalOperation(network, target)
{
    /// <summary>How many responders of the range fill a bucket: K.</summary>
    public const int Wanted = Traversal.K;

    private readonly HashSet<NodeId> _inRange = [.. known];
    private FindNodeQuery? _query;

    /// <inheritdoc/>
    public override bool IsSatisfied => _inRange.Count >= Wanted;

    /// <inheritdoc/>
    public override int MaxInFlight => Wanted - _inRange.Count;

    /// <summary>The same query for every candidate (the node picks each transaction id): built once.</summary>
    public override KrpcQuery CreateQuery(Traversal.Candidate candidate) =>
        _query ??= new FindNodeQuery { Id = Network.LocalId, Target = Target, Want = Want, ReadOnly = Network.ReadOnly, Version = Network.Version };

    /// <inheritdoc/>
    public override void OnResponse(Traversal.Candidate responder, KrpcResponse response)
    {
        if (responder.Id is NodeId id && id.CommonPrefixLength(localId) == depth)
        {
            _inRange.Add(id);
        }
    }
}
