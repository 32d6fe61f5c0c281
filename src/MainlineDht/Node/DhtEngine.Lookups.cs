using System.Net;
using System.Net.Sockets;
using MainlineDht.Lookups;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;

namespace MainlineDht.Node;

// The engine as lookups see it: one address family's network.
internal sealed partial class DhtEngine : ILookupNetwork
{
    /// <summary>How many of the table's closest a traversal starts from (K twice: some may have gone).</summary>
    private const int StartingFromTable = 2 * ReplyBuilder.NodesPerReply;

    public NodeId LocalId => _node.Id;

    public ReadOnlyMemory<byte> Version => _node.Options.Version;

    public bool ReadOnly => _node.ReadOnly;

    public IpDiversity IpDiversity => _node.Options.IpDiversity;

    /// <summary>Outside the gate: the junk filter (<see cref="ReplyNodeFilter"/>); what it refuses is counted.</summary>
    public bool ShouldFollow(NodeId id, IPEndPoint endPoint, IPEndPoint namedBy)
    {
        IgnoredNodeReason? reason = ReplyNodeFilter.Judge(id, endPoint, namedBy, _node.Id, Transport.LocalEndPoint, _externalSnapshot, _node.Options.EnforceNodeIds);
        if (reason is IgnoredNodeReason why)
        {
            Interlocked.Increment(ref _node.Counters.IgnoredNodes[(int)why]);
            return false;
        }

        return true;
    }

    public TimeSpan SlowAfter
    {
        get
        {
            lock (_node.Gate)
            {
                return Rpc.SlowAfter;
            }
        }
    }

    /// <summary>
    /// The table's closest (questionable ones included); while it holds fewer than K, then this
    /// family's saved nodes and bootstrap endpoints (a restarted node rejoins through the nodes it saved).
    /// </summary>
    public IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)> StartingCandidates(NodeId target)
    {
        RoutingNode[] closest;
        lock (_node.Gate)
        {
            closest = Routing.FindClosestNodes(target, StartingFromTable, includeQuestionable: true, _node.Time.GetUtcNow());
        }

        var candidates = new List<(NodeId? Id, IPEndPoint EndPoint)>(closest.Length);
        foreach (RoutingNode entry in closest)
        {
            candidates.Add((entry.Id, entry.EndPoint));
        }

        if (closest.Length < ReplyBuilder.NodesPerReply)
        {
            candidates.AddRange(_host.BootstrapCandidates(Family));
        }

        return candidates;
    }

    public TimeSpan? MeasuredRoundTrip(NodeId id)
    {
        lock (_node.Gate)
        {
            return Routing.TryGet(id, out var entry) && entry.RoundTripTime > TimeSpan.Zero ? entry.RoundTripTime : null;
        }
    }

    public Task<RpcResult> SendQueryAsync(KrpcQuery query, IPEndPoint endPoint, NodeId? expectedId, CancellationToken cancellationToken) =>
        Rpc.SendAsync(query, endPoint, expectedId, cancellationToken);
}
