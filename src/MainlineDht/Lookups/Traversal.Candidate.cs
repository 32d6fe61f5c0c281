using System.Net;
using MainlineDht.Protocol;

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

        public byte[]? Token { get; set; }

        /// <summary>Where this query is in the traversal's trace; -1 when it is not traced.</summary>
        public int TraceIndex { get; set; } = -1;
    }
}
