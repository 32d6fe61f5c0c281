using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;

namespace MainlineDht.Node;

// The engine's routing table at work: what queriers and repliers tell it, the pings it asks for, the
// nodes replies hand out, and its upkeep. Everything here runs under the gate.
internal sealed partial class DhtEngine : IRpcObserver, IQueryHost
{
    /// <summary>
    /// Endpoints that answered us lately, verified whether or not the table keeps them; kept only
    /// while the reply budget is on (<see cref="DhtNodeOptions.ReplyBytesPerSecond"/>), made at the first answer.
    /// </summary>
    private AnsweredSources? _answered;

    /// <summary>Whether the table holds a node that is not bad (good or questionable).</summary>
    public bool HasLiveNode(DateTimeOffset now) =>
        Routing.Count > 0 && Routing.FindClosest(_node.Id, stackalloc RoutingNode[1], includeQuestionable: true, now) > 0;

    /// <summary>
    /// Upkeep: a bucket untouched for 15 minutes gets a <c>find_node</c> for a random id in its
    /// range (when <paramref name="refreshBuckets"/>), candidates waiting for room are pinged, and
    /// the buckets give back the room they do not use.
    /// </summary>
    public void Refresh(DateTimeOffset now, bool refreshBuckets)
    {
        if (refreshBuckets && Routing.Count > 0)
        {
            foreach (NodeId target in Routing.GetBucketsNeedingRefresh(now, _node.Random))
            {
                _host.RefreshBucket(this, target);
            }
        }

        foreach (NodeContact candidate in Routing.TakeCandidatesToVerify(ReplyBuilder.NodesPerReply, now))
        {
            Verify(candidate.Id, candidate.EndPoint);
        }

        Routing.TrimExcess();
        _gauges.RoutingNodes = Routing.Count;
    }

    /// <summary>The nodes of this family's table our replies hand out: recently answering ones, never one with a failure outstanding.</summary>
    public int FindOwnClosestToShare(NodeId target, Span<RoutingNode> destination) =>
        Routing.FindClosestToShare(target, destination, _node.Time.GetUtcNow());

    int IQueryHost.FindClosestToShare(AddressFamily family, NodeId target, Span<RoutingNode> destination) =>
        family == Family ? FindOwnClosestToShare(target, destination) : _host.FindClosestToShare(family, target, destination);

    bool IQueryHost.IsVerified(NodeId id, IPEndPoint source) => Routing.IsVerified(id, source) || _answered?.HasAnswered(source) == true;

    void IQueryHost.OnRefusedOverBudget(NodeId id, IPEndPoint source)
    {
        if (id != _node.Id && Rpc.Outstanding < _node.Options.MaxOutstandingQueries / 2 && Answered()?.TryNotePing(source) == true)
        {
            Verify(id, source);
        }
    }

    void IQueryHost.OnQueried(NodeId id, IPEndPoint source, DateTimeOffset now)
    {
        // Verification pings of queriers take at most half the queries in flight: a flood from
        // sources that never answer (spoofed, or a load generator) would otherwise fill the table
        // and leave the node's own lookups nothing. A querier not pinged now is pinged by the
        // upkeep once its request lapses (RoutingTable.TakeCandidatesToVerify).
        if (Routing.OnQuery(id, source, now) && Rpc.Outstanding < _node.Options.MaxOutstandingQueries / 2)
        {
            Verify(id, source);
        }
    }

    void IRpcObserver.OnReply(NodeId id, IPEndPoint endPoint, TimeSpan roundTrip)
    {
        if (id != _node.Id)
        {
            Answered()?.NoteAnswer(endPoint);
            Follow(Routing.OnReply(id, endPoint, roundTrip, _node.Time.GetUtcNow()));
        }
    }

    void IRpcObserver.OnFailure(NodeId? expectedId, IPEndPoint endPoint)
    {
        if (expectedId is NodeId known && !_node.Disposed)
        {
            Follow(Routing.OnFailure(known, endPoint, _node.Time.GetUtcNow()));
            _gauges.RoutingNodes = Routing.Count;
        }
    }

    void IRpcObserver.OnExternalAddress(IPAddress voter, ReadOnlySpan<byte> compactEndPoint)
    {
        _externalAddress.Add(voter, compactEndPoint);
        _externalSnapshot = _externalAddress.Leader;
        if (_externalAddress.Settled && !_externalAddress.Leader!.Equals(SettledExternalAddress))
        {
            SettledExternalAddress = _externalAddress.Leader;
            _host.OnExternalAddressSettled(this, SettledExternalAddress);
        }
    }

    private AnsweredSources? Answered() => _node.Bandwidth is not null ? _answered ??= new AnsweredSources(_node.Time) : null;

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
        _ = Rpc.SendAsync(new PingQuery { Id = _node.Id, ReadOnly = _node.ReadOnly, Version = _node.Options.Version }, endPoint, id, CancellationToken.None);
}
