using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>An iterative <c>find_node</c>: the nodes closest to a target, and nothing more.</summary>
internal sealed class FindNodeOperation(ILookupNetwork network, NodeId target) : TraversalOperation(network, target)
{
    private FindNodeQuery? _query;

    /// <summary>The same query for every candidate (the node picks each transaction id): built once.</summary>
    public override KrpcQuery CreateQuery(Traversal.Candidate candidate) =>
        _query ??= new FindNodeQuery { Id = Network.LocalId, Target = Target, Want = Want, ReadOnly = Network.ReadOnly, Version = Network.Version };
}
