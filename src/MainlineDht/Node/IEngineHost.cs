using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht.Node;

/// <summary>What an engine asks of the node it belongs to (the node's other engine, its bootstrap, its join watch).</summary>
internal interface IEngineHost
{
    /// <summary>
    /// Under the gate: the nodes of another family's table a reply hands out (BEP 32 <c>want</c>
    /// asked for a family the query did not come over); 0 when that family does not run.
    /// </summary>
    int FindClosestToShare(AddressFamily family, NodeId target, Span<RoutingNode> destination);

    /// <summary>The saved nodes and bootstrap endpoints of <paramref name="family"/>, in the order a traversal tries them when the table is small.</summary>
    IEnumerable<(NodeId? Id, IPEndPoint EndPoint)> BootstrapCandidates(AddressFamily family);

    /// <summary>Under the gate: starts a <c>find_node</c> toward <paramref name="target"/> to refresh a bucket of <paramref name="engine"/>'s table.</summary>
    void RefreshBucket(DhtEngine engine, NodeId target);

    /// <summary>Under the gate: the BEP 42 vote of <paramref name="engine"/> settled on <paramref name="address"/> (a first time, or a new address).</summary>
    void OnExternalAddressSettled(DhtEngine engine, IPAddress address);

    /// <summary>Outside the gate, after each datagram received: the node's chance to notice its first live node.</summary>
    void AfterDatagram();
}
