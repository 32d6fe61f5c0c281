using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Rpc;

/// <summary>
/// Hears the outcomes of an <see cref="RpcClient"/>'s queries (the routing table's view of who
/// answers). Called under the node's gate, before the awaiting caller hears of the outcome.
/// </summary>
internal interface IRpcObserver
{
    /// <summary><paramref name="endPoint"/> answered a query with a response, as <paramref name="id"/>, after <paramref name="roundTrip"/>.</summary>
    void OnReply(NodeId id, IPEndPoint endPoint, TimeSpan roundTrip);

    /// <summary>A query to <paramref name="endPoint"/> (believed to be <paramref name="expectedId"/>, if known) timed out.</summary>
    void OnFailure(NodeId? expectedId, IPEndPoint endPoint);

    /// <summary>
    /// BEP 42: <paramref name="voter"/> says it sees us at the address of <paramref name="compactEndPoint"/>
    /// (its reply's <c>ip</c>: a compact address and port, 6 or 18 bytes). Raw, so that the address is
    /// made only for a voter that has not voted yet: most replies come from nodes that have.
    /// </summary>
    void OnExternalAddress(IPAddress voter, ReadOnlySpan<byte> compactEndPoint);
}
