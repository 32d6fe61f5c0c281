using MainlineDht.Protocol;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>The node's counters; mutated under the gate only.</summary>
    private sealed class Counters
    {
        private static readonly string[] MethodNames =
            ["unknown", "ping", "find_node", "get_peers", "announce_peer", "sample_infohashes", "get", "put"];

        public readonly long[] QueriesReceived = new long[MethodNames.Length];
        public readonly long[] QueriesSent = new long[MethodNames.Length];
        public readonly Dictionary<int, long> ErrorsSent = [];
        public long DatagramsReceived;
        public long Malformed;
        public long Answered;
        public long RateLimited;
        public long Responses;
        public long Errors;
        public long Unmatched;
        public long Timeouts;
        public long AnnouncesAccepted;
        public long HandlerFaults;

        public void ErrorSent(KrpcErrorCode code) => ErrorsSent[(int)code] = ErrorsSent.GetValueOrDefault((int)code) + 1;

        public DhtNodeStatistics Snapshot(int outstanding, int routingSize, int infoHashes, int peers) => new()
        {
            DatagramsReceived = DatagramsReceived,
            MalformedReceived = Malformed,
            QueriesAnswered = Answered,
            QueriesReceived = ByMethod(QueriesReceived),
            QueriesSent = ByMethod(QueriesSent),
            ErrorsSent = new Dictionary<int, long>(ErrorsSent),
            QueriesRateLimited = RateLimited,
            ResponsesReceived = Responses,
            ErrorsReceived = Errors,
            UnmatchedReplies = Unmatched,
            Timeouts = Timeouts,
            OutstandingQueries = outstanding,
            RoutingTableSize = routingSize,
            StoredInfoHashes = infoHashes,
            StoredPeers = peers,
            AnnouncesAccepted = AnnouncesAccepted,
            InternalErrors = HandlerFaults,
        };

        private static Dictionary<string, long> ByMethod(long[] counts)
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
