using System.Net;
using System.Threading.Tasks.Sources;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

// The traversal's small types: its candidates and the signal its loop waits on.
internal sealed partial class Traversal
{
    /// <summary>
    /// What a traversal waits on: set by any query completing, by the slow timer and by
    /// cancellation. One reusable awaitable per traversal, instead of a <c>Task.WhenAny</c>, a delay
    /// and a linked token source per step. A set with nobody waiting is kept for the next wait.
    /// </summary>
    private sealed class WakeSignal : IValueTaskSource
    {
        private readonly Lock _gate = new();
        private ManualResetValueTaskSourceCore<bool> _core;
        private bool _pending;
        private bool _waiting;

        public void Set()
        {
            lock (_gate)
            {
                if (!_waiting)
                {
                    _pending = true;
                    return;
                }

                _waiting = false;
            }

            _core.SetResult(true);
        }

        public ValueTask WaitAsync()
        {
            lock (_gate)
            {
                if (_pending)
                {
                    _pending = false;
                    return ValueTask.CompletedTask;
                }

                _core.Reset();
                _waiting = true;
                return new ValueTask(this, _core.Version);
            }
        }

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

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

/// <summary>What became of a starting node of a traversal (a bootstrap router, a saved node).</summary>
/// <param name="EndPoint">Where it was asked.</param>
/// <param name="Status">How the query ended.</param>
/// <param name="RoundTrip">The round trip of its answer (zero when it did not answer).</param>
/// <param name="ErrorCode">The KRPC error code it answered with, if it did.</param>
/// <param name="Waited">For a query still unanswered when the traversal ended (<see cref="RpcStatus.Timeout"/> then): how long it had waited.</param>
internal readonly record struct StartingOutcome(IPEndPoint EndPoint, RpcStatus Status, TimeSpan RoundTrip, int? ErrorCode, TimeSpan? Waited = null);
