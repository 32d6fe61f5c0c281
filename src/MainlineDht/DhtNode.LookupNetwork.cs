using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>
    /// The node's one (IPv4) family as lookups see it, until the node is made of one engine per
    /// family that is its own <see cref="ILookupNetwork"/>: then this adapter goes.
    /// </summary>
    private sealed class LegacyLookupNetwork(DhtNode node) : ILookupNetwork
    {
        public AddressFamily Family => AddressFamily.InterNetwork;

        public NodeId LocalId => node.Id;

        public ReadOnlyMemory<byte> Version => node._options.Version;

        public bool ReadOnly => node._options.ReadOnly;

        public TimeSpan SlowAfter
        {
            get
            {
                lock (node._gate)
                {
                    return node._roundTrips.SlowAfter;
                }
            }
        }

        /// <summary>The table's closest (2K, questionable included); while it holds fewer than K, then the saved nodes and the bootstrap endpoints.</summary>
        public IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)> StartingCandidates(NodeId target)
        {
            NodeEntry[] closest;
            lock (node._gate)
            {
                closest = node._routing.FindClosest(target, Traversal.K * 2, includeQuestionable: true, node._time.GetUtcNow());
            }

            var candidates = new List<(NodeId? Id, IPEndPoint EndPoint)>(closest.Length);
            foreach (NodeEntry entry in closest)
            {
                candidates.Add((entry.Id, entry.EndPoint));
            }

            if (closest.Length < Traversal.K)
            {
                // A restarted node rejoins through the nodes it saved; bootstrap nodes come after them.
                foreach (NodeInfo saved in node._savedNodes)
                {
                    candidates.Add((saved.Id, saved.EndPoint));
                }

                foreach (IPEndPoint endPoint in node._bootstrapEndPoints)
                {
                    candidates.Add((null, endPoint));
                }
            }

            return candidates;
        }

        public Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken) =>
            node.SendQueryAsync(query, endPoint, expectedId, cancellationToken);
    }
}
