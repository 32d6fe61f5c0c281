using System.Net;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// An iterative Kademlia traversal toward a target (BEP 5): keeps the closest candidates, queries
/// <see cref="Alpha"/> at a time, lets a node that is slow to answer free its slot without being
/// given up on, and ends when the K closest responsive nodes have answered and nothing closer is
/// pending.
/// </summary>
internal sealed class Traversal
{
    public const int Alpha = 3;
    public const int K = 8;
    private const int MaxCandidates = 256;

    private readonly List<Candidate> _candidates = []; // ordered by distance to the target; unknown ids last
    private readonly HashSet<IPEndPoint> _seen = [];
    private readonly NodeId _target;
    private readonly TimeSpan _slowAfter;
    private readonly TimeProvider _time;
    private readonly Func<Candidate, CancellationToken, Task<RpcResult>> _query;
    private readonly Action<Candidate, KrpcResponse>? _onResponse;
    private long _nextSequence;

    /// <summary>
    /// Set once a reply brought no node closer than the closest already known: from then on the
    /// K closest not yet asked are all asked at once (Kademlia's final round), instead of
    /// <see cref="Alpha"/> at a time.
    /// </summary>
    private bool _finalRound;

    public Traversal(
        NodeId target,
        TimeProvider time,
        TimeSpan slowAfter,
        Func<Candidate, CancellationToken, Task<RpcResult>> query,
        Action<Candidate, KrpcResponse>? onResponse = null)
    {
        _target = target;
        _time = time;
        _slowAfter = slowAfter;
        _query = query;
        _onResponse = onResponse;
    }

    public int Queried { get; private set; }

    public int Replies { get; private set; }

    public int Errors { get; private set; }

    public int Timeouts { get; private set; }

    public int RoundTrips { get; private set; }

    /// <summary>Adds a node to consider; its id may be unknown (a bootstrap endpoint).</summary>
    public void AddCandidate(NodeId? id, IPEndPoint endPoint, int depth)
    {
        if (!_seen.Add(endPoint))
        {
            return;
        }

        var candidate = new Candidate(id, endPoint, depth, _nextSequence++);
        int index = _candidates.BinarySearch(candidate, Comparer<Candidate>.Create(Compare));
        _candidates.Insert(index < 0 ? ~index : index, candidate);
        if (_candidates.Count > MaxCandidates)
        {
            // Drop the farthest that is not in flight; it cannot matter once this many are closer.
            for (int i = _candidates.Count - 1; i >= K; i--)
            {
                if (_candidates[i].State != CandidateState.InFlight)
                {
                    _candidates.RemoveAt(i);
                    break;
                }
            }
        }
    }

    /// <summary>The closest nodes that answered, nearest first.</summary>
    public List<Candidate> ClosestResponded(int count) =>
        _candidates.Where(c => c.State == CandidateState.Responded && c.Id is not null).Take(count).ToList();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var inFlight = new List<(Candidate Candidate, Task<RpcResult> Task)>(Alpha * 2);
        while (!cancellationToken.IsCancellationRequested)
        {
            long now = _time.GetTimestamp();
            foreach ((Candidate c, _) in inFlight)
            {
                if (!c.Slow && _time.GetElapsedTime(c.SentAt, now) >= _slowAfter)
                {
                    c.Slow = true;
                }
            }

            if (IsDone())
            {
                break;
            }

            int active = inFlight.Count(q => !q.Candidate.Slow);
            int parallel = _finalRound ? K : Alpha;
            while (active < parallel && NextCandidate() is Candidate next)
            {
                next.State = CandidateState.InFlight;
                next.SentAt = _time.GetTimestamp();
                Queried++;
                inFlight.Add((next, _query(next, cancellationToken)));
                active++;
            }

            if (inFlight.Count == 0)
            {
                break;
            }

            Task first = await WaitForProgressAsync(inFlight, cancellationToken).ConfigureAwait(false);
            for (int i = inFlight.Count - 1; i >= 0; i--)
            {
                if (inFlight[i].Task.IsCompleted)
                {
                    Complete(inFlight[i].Candidate, inFlight[i].Task.Result);
                    inFlight.RemoveAt(i);
                }
            }

            GC.KeepAlive(first);
        }
    }

    private async Task<Task> WaitForProgressAsync(List<(Candidate Candidate, Task<RpcResult> Task)> inFlight, CancellationToken cancellationToken)
    {
        var tasks = new List<Task>(inFlight.Count + 1);
        TimeSpan? nextSlow = null;
        long now = _time.GetTimestamp();
        foreach ((Candidate c, Task<RpcResult> task) in inFlight)
        {
            tasks.Add(task);
            if (!c.Slow)
            {
                TimeSpan left = _slowAfter - _time.GetElapsedTime(c.SentAt, now);
                nextSlow = nextSlow is null || left < nextSlow ? left : nextSlow;
            }
        }

        using var delayCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (nextSlow is TimeSpan wait)
        {
            // Task.Delay counts whole milliseconds and completes at once below one: round up, so
            // that the delay ends at or after the moment the node turns slow. (Rounding down made
            // this loop spin until the clock moved; on a virtual clock it never does.)
            long milliseconds = Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));
            tasks.Add(Task.Delay(TimeSpan.FromMilliseconds(milliseconds), _time, delayCancel.Token));
        }

        Task first = await Task.WhenAny(tasks).ConfigureAwait(false);
        delayCancel.Cancel();
        return first;
    }

    private void Complete(Candidate candidate, RpcResult result)
    {
        switch (result.Status)
        {
            case RpcStatus.Response:
                KrpcResponse response = result.Response!;
                candidate.State = CandidateState.Responded;
                candidate.Id ??= response.Id;
                candidate.Token = response.Token.IsEmpty ? null : response.Token.ToArray();
                Replies++;
                RoundTrips = Math.Max(RoundTrips, candidate.Depth + 1);
                Candidate? closestBefore = _candidates.Count > 0 && _candidates[0].Id is not null ? _candidates[0] : null;
                foreach (NodeInfo node in CompactFormat.EnumerateNodes(response.Nodes.Span, System.Net.Sockets.AddressFamily.InterNetwork))
                {
                    if (node.EndPoint.Port != 0)
                    {
                        AddCandidate(node.Id, node.EndPoint, candidate.Depth + 1);
                    }
                }

                if (closestBefore is not null && ReferenceEquals(_candidates[0], closestBefore))
                {
                    _finalRound = true;
                }

                _onResponse?.Invoke(candidate, response);
                break;

            case RpcStatus.Error:
                candidate.State = CandidateState.Failed;
                Errors++;
                break;

            default:
                candidate.State = CandidateState.Failed;
                Timeouts++;
                break;
        }
    }

    /// <summary>The closest candidate not yet asked, if it is among the K closest still worth asking.</summary>
    private Candidate? NextCandidate()
    {
        int usable = 0;
        foreach (Candidate c in _candidates)
        {
            if (c.State == CandidateState.Failed || (c.State == CandidateState.InFlight && c.Slow))
            {
                continue;
            }

            if (usable++ >= K)
            {
                return null;
            }

            if (c.State == CandidateState.New)
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>
    /// Done when the K closest candidates that are still responsive (not failed, not slow) have all
    /// answered. A slow node is not waited for; if it answers before the end, its nodes still count.
    /// </summary>
    private bool IsDone()
    {
        int usable = 0;
        foreach (Candidate c in _candidates)
        {
            if (c.State == CandidateState.Failed || (c.State == CandidateState.InFlight && c.Slow))
            {
                continue;
            }

            if (c.State != CandidateState.Responded)
            {
                return false;
            }

            if (++usable >= K)
            {
                return true;
            }
        }

        // Fewer than K responsive nodes exist: done when nothing is left to ask or waiting.
        return true;
    }

    private int Compare(Candidate a, Candidate b)
    {
        if (a.Id is NodeId x && b.Id is NodeId y)
        {
            int c = _target.CompareDistance(x, y);
            return c != 0 ? c : a.Sequence.CompareTo(b.Sequence);
        }

        // Unknown ids (bootstrap endpoints) sort after known ones, in the order they were added.
        return a.Id is null && b.Id is null ? a.Sequence.CompareTo(b.Sequence) : a.Id is null ? 1 : -1;
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
    }
}
