using System.Net.Sockets;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// The part of a lookup that differs by operation, over the one <see cref="Traversal"/> engine: what
/// query a candidate is sent, what a reply yields besides the nodes to follow, when the operation has
/// what it came for, and what it does once the traversal ends (a store to the closest, for one).
/// </summary>
/// <remarks>
/// One instance per traversal, on one <see cref="ILookupNetwork"/>. The engine follows the nodes of
/// the network's family itself (<c>nodes</c> on IPv4, <c>nodes6</c> on IPv6) and keeps each
/// responder's write token on its candidate; an operation adds only what is its own. A new
/// operation (BEP 44 <c>get</c>/<c>put</c>, a BEP 51 crawl) is a subclass of this and a method of
/// <see cref="LookupRunner"/> that merges its results across families.
/// </remarks>
internal abstract class TraversalOperation
{
    protected TraversalOperation(ILookupNetwork network, NodeId target)
    {
        ArgumentNullException.ThrowIfNull(network);
        Network = network;
        Target = target;
    }

    /// <summary>The address family's network the traversal runs on.</summary>
    public ILookupNetwork Network { get; }

    /// <summary>The id or infohash the traversal converges on.</summary>
    public NodeId Target { get; }

    /// <summary>
    /// Set when the operation has what it came for before the K closest answered (for example an
    /// immutable BEP 44 item found): the traversal then ends at once. False by default.
    /// </summary>
    public virtual bool IsSatisfied => false;

    /// <summary>
    /// At most this many queries that are not slow in flight at once (the traversal's alpha
    /// otherwise): an operation that needs only a few more answers asks no more nodes than that at a
    /// time, instead of leaving alpha queries in flight that are wasted once it is satisfied. No
    /// limit by default.
    /// </summary>
    public virtual int MaxInFlight => int.MaxValue;

    /// <summary>
    /// True for an operation that looks for values the nodes nearest the target hold and needs no
    /// more than the nearest few of them (a <c>get_peers</c>): with
    /// <see cref="LookupOptions.CloserThanThirdResponder"/> its traversal asks only nodes closer than
    /// the third-closest responder. False by default: a <c>find_node</c> wants the K closest, an
    /// announce, a put and a scrape go to them.
    /// </summary>
    public virtual bool SeeksValues => false;

    /// <summary>BEP 32: the <c>want</c> of our queries, our network's own family only.</summary>
    protected WantFamilies Want => Network.Family == AddressFamily.InterNetworkV6 ? WantFamilies.IPv6 : WantFamilies.IPv4;

    /// <summary>The query to send to <paramref name="candidate"/>.</summary>
    public abstract KrpcQuery CreateQuery(Traversal.Candidate candidate);

    /// <summary>
    /// What a response yields beyond nodes and token (peers, values, samples…). Called after the
    /// engine took the nodes it returned; <paramref name="responder"/> is the candidate under the id
    /// it answered with.
    /// </summary>
    public virtual void OnResponse(Traversal.Candidate responder, KrpcResponse response)
    {
    }

    /// <summary>What is done once the traversal ended (nothing by default): an announce, a put.</summary>
    public virtual Task AfterTraversalAsync(Traversal traversal, CancellationToken cancellationToken) => Task.CompletedTask;
}
