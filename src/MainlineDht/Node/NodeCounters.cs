using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Node;

/// <summary>
/// The counters of what a node received and answered (what it sent and heard back is each
/// <see cref="RpcClient"/>'s). Mutated under the gate only.
/// </summary>
internal sealed class NodeCounters
{
    public PerMethodCounts QueriesReceived; // inline: no array per node

    /// <summary>Errors sent by code; made at the first (most nodes never send one).</summary>
    private Dictionary<int, long>? _errorsSent;

    /// <summary>Nodes named in replies that were not followed, by <see cref="IgnoredNodeReason"/>; incremented outside the gate (interlocked).</summary>
    public PerReasonCounts IgnoredNodes;
    public long DatagramsReceived;
    public long Malformed;
    public long Answered;
    public long RateLimited;
    public long Banned;
    public long RepliesWithheld;
    public long RepliesCut;
    public long RepliesOverBudget;
    public long AnnouncesAccepted;
    public long ItemsAccepted;
    public long HandlerFaults;
    public long HeardQueriesDropped;

    public void ErrorSent(KrpcErrorCode code, int delta)
    {
        _errorsSent ??= [];
        _errorsSent[(int)code] = _errorsSent.GetValueOrDefault((int)code) + delta;
    }

    /// <summary>The statistics now, with the counters of every RPC client (one per address family) summed.</summary>
    public DhtNodeStatistics Snapshot(IEnumerable<RpcClient> clients, int routingSize, int infoHashes, int peers, int items)
    {
        long[] sent = new long[QueryMethods.Count];
        long responses = 0, errors = 0, unmatched = 0, timeouts = 0;
        int outstanding = 0;
        foreach (RpcClient client in clients)
        {
            for (int i = 0; i < sent.Length; i++)
            {
                sent[i] += client.QueriesSent[i];
            }

            responses += client.Responses;
            errors += client.Errors;
            unmatched += client.Unmatched;
            timeouts += client.Timeouts;
            outstanding += client.Outstanding;
        }

        return new DhtNodeStatistics
        {
            DatagramsReceived = DatagramsReceived,
            MalformedReceived = Malformed,
            QueriesAnswered = Answered,
            QueriesReceived = ByMethod(QueriesReceived),
            QueriesSent = ByMethod(sent),
            ErrorsSent = _errorsSent is null ? new Dictionary<int, long>() : new Dictionary<int, long>(_errorsSent),
            QueriesRateLimited = RateLimited,
            QueriesFromBannedIps = Banned,
            RepliesWithheld = RepliesWithheld,
            RepliesCut = RepliesCut,
            RepliesOverBudget = RepliesOverBudget,
            ResponsesReceived = responses,
            ErrorsReceived = errors,
            UnmatchedReplies = unmatched,
            Timeouts = timeouts,
            OutstandingQueries = outstanding,
            RoutingTableSize = routingSize,
            StoredInfoHashes = infoHashes,
            StoredPeers = peers,
            AnnouncesAccepted = AnnouncesAccepted,
            StoredItems = items,
            ItemsAccepted = ItemsAccepted,
            InternalErrors = HandlerFaults,
            NodesIgnored = IgnoredTotal(),
            NodesIgnoredByReason = IgnoredByReason(),
            HeardQueriesDropped = HeardQueriesDropped,
        };
    }

    private long IgnoredTotal()
    {
        long total = 0;
        for (int i = 0; i < ReplyNodeFilter.Count; i++)
        {
            total += Interlocked.Read(ref IgnoredNodes[i]);
        }

        return total;
    }

    private Dictionary<string, long> IgnoredByReason()
    {
        var map = new Dictionary<string, long>(ReplyNodeFilter.Count);
        for (int i = 0; i < ReplyNodeFilter.Count; i++)
        {
            map[ReplyNodeFilter.Names[i]] = Interlocked.Read(ref IgnoredNodes[i]);
        }

        return map;
    }

    private static Dictionary<string, long> ByMethod(ReadOnlySpan<long> counts)
    {
        var map = new Dictionary<string, long>(counts.Length);
        for (int i = 0; i < counts.Length; i++)
        {
            map[QueryMethods.Name((KrpcMethod)i)] = counts[i];
        }

        return map;
    }
}
