using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

// The traversal's small types: its candidates and their states.
internal sealed partial class Traversal
{
    internal enum CandidateState
    {
        New,
        InFlight,
        Responded,
        Failed,
    }

    internal sealed class Candidate(NodeId? id, IPEndPoint endPoint, int depth, long sequence)
    {
        public NodeId? Id { get; set; } = id;

        public IPEndPoint EndPoint { get; } = endPoint;

        public int Depth { get; } = depth;

        public long Sequence { get; } = sequence;

        public CandidateState State { get; set; }

        public bool Slow { get; set; }

        public long SentAt { get; set; }

        /// <summary>When it answered (a timestamp of the traversal's clock); 0 until then.</summary>
        public long RespondedAt { get; set; }

        /// <summary>The round trip our routing table measured for it, if any (for <see cref="LookupOptions.PreferShortRoundTrip"/>).</summary>
        public TimeSpan? RoundTrip { get; set; }

        public byte[]? Token { get; set; }

        /// <summary>Where this query is in the traversal's trace; -1 when it is not traced.</summary>
        public int TraceIndex { get; set; } = -1;
    }
}

/// <summary>What became of a starting node of a traversal (a bootstrap router, a saved node).</summary>
/// <param name="EndPoint">Where it was asked.</param>
/// <param name="Status">How the query ended.</param>
/// <param name="RoundTrip">The round trip of its answer (zero when it did not answer).</param>
/// <param name="ErrorCode">The KRPC error code it answered with, if it did.</param>
/// <param name="Waited">For a query still unanswered when the traversal ended (<see cref="RpcStatus.Timeout"/> then): how long it had waited.</param>
internal readonly record struct StartingOutcome(IPEndPoint EndPoint, RpcStatus Status, TimeSpan RoundTrip, int? ErrorCode, TimeSpan? Waited = null);
