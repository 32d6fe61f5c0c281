using System.Net;
using System.Net.Sockets;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Routing;

namespace MainlineDht;

// The node's use of its routing table and stores: everything here runs under the gate.
public sealed partial class DhtNode
{
    private void RoutingOnQuery(NodeId id, IPEndPoint source, DateTimeOffset now)
    {
        if (_routing.OnQuery(id, source, now))
        {
            Verify(id, source);
        }
    }

    private void RoutingOnReply(NodeId id, IPEndPoint source, TimeSpan roundTrip, DateTimeOffset now) =>
        Follow(_routing.OnReply(id, source, roundTrip, now));

    private void RoutingOnFailure(NodeId? id, IPEndPoint endPoint, DateTimeOffset now)
    {
        if (id is NodeId known)
        {
            Follow(_routing.OnFailure(known, endPoint, now));
        }
    }

    /// <summary>Does what the routing table asks: ping a questionable node before it may be evicted.</summary>
    private void Follow(RoutingOutcome outcome)
    {
        if (outcome.ShouldPing)
        {
            Verify(outcome.PingTarget.Id, outcome.PingTarget.EndPoint);
        }
    }

    /// <summary>Pings a node; its answer or its silence reaches the routing table through the reply and timeout paths.</summary>
    private void Verify(NodeId id, IPEndPoint endPoint) =>
        _ = SendQueryAsync(new PingQuery { Id = Id, ReadOnly = _options.ReadOnly, Version = _options.Version }, endPoint, id, CancellationToken.None);

    /// <summary>
    /// Upkeep: a bucket untouched for 15 minutes gets a <c>find_node</c> for a random id in its
    /// range, and candidates waiting for room are pinged.
    /// </summary>
    private void RefreshRouting(DateTimeOffset now)
    {
        if (_started && _routing.Count > 0)
        {
            foreach (NodeId target in _routing.GetBucketsNeedingRefresh(now, _random))
            {
                _ = FindNodeAsync(target, CancellationToken.None);
            }
        }

        foreach (NodeContact candidate in _routing.TakeCandidatesToVerify(BucketSize, now))
        {
            Verify(candidate.Id, candidate.EndPoint);
        }
    }

    /// <summary>What answering a query needs from the node, without making <see cref="IQueryHost"/> part of its public surface.</summary>
    private sealed class QueryHost(DhtNode node) : IQueryHost
    {
        /// <summary>The nodes our replies hand out: recently answering ones, never one with a failure outstanding (see <see cref="RoutingTable.FindClosestToShare"/>).</summary>
        public int FindClosestToShare(AddressFamily family, NodeId target, Span<NodeEntry> destination) =>
            node._routing.FindClosestToShare(target, destination, node._time.GetUtcNow());

        public void OnQueried(NodeId id, IPEndPoint source, DateTimeOffset now) => node.RoutingOnQuery(id, source, now);
    }
}
