using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>The node's counters; mutated under the gate only.</summary>
    private sealed class Counters
    {
        private static readonly string[] MethodNames =
            ["unknown", "ping", "find_node", "get_peers", "announce_peer", "sample_infohashes", "get", "put"];

        public readonly long[] QueriesReceived = new long[MethodNames.Length];
        public readonly Dictionary<int, long> ErrorsSent = [];
        public long DatagramsReceived;
        public long Malformed;
        public long Answered;
        public long RateLimited;
        public long AnnouncesAccepted;
        public long HandlerFaults;

        public void ErrorSent(KrpcErrorCode code, int delta) => ErrorsSent[(int)code] = ErrorsSent.GetValueOrDefault((int)code) + delta;

        public DhtNodeStatistics Snapshot(RpcClient rpc, int routingSize, int infoHashes, int peers) => new()
        {
            DatagramsReceived = DatagramsReceived,
            MalformedReceived = Malformed,
            QueriesAnswered = Answered,
            QueriesReceived = ByMethod(QueriesReceived),
            QueriesSent = ByMethod(rpc.QueriesSent),
            ErrorsSent = new Dictionary<int, long>(ErrorsSent),
            QueriesRateLimited = RateLimited,
            ResponsesReceived = rpc.Responses,
            ErrorsReceived = rpc.Errors,
            UnmatchedReplies = rpc.Unmatched,
            Timeouts = rpc.Timeouts,
            OutstandingQueries = rpc.Outstanding,
            RoutingTableSize = routingSize,
            StoredInfoHashes = infoHashes,
            StoredPeers = peers,
            AnnouncesAccepted = AnnouncesAccepted,
            InternalErrors = HandlerFaults,
        };

        private static Dictionary<string, long> ByMethod(ReadOnlySpan<long> counts)
        {
            var map = new Dictionary<string, long>(counts.Length);
            for (int i = 0; i < counts.Length; i++)
            {
                map[MethodNames[i]] = counts[i];
            }

            return map;
        }
    }
}
