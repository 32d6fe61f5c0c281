using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// An iterative Kademlia traversal toward a target (BEP 5): keeps the closest candidates, queries
/// <see cref="Alpha"/> at a time, lets a node that is slow to answer free its slot without being
/// given up on, and ends when the K closest responsive nodes have answered and nothing closer is
/// pending (or the operation is satisfied).
/// </summary>
/// <remarks>
/// The engine is the same for every lookup; what differs (the query, what a reply yields, what is
/// done after) is its <see cref="TraversalOperation"/>. It runs on one address family's
/// <see cref="ILookupNetwork"/>: it follows <c>nodes</c> on IPv4 and <c>nodes6</c> on IPv6.
/// </remarks>
internal sealed partial class Traversal
{
    public const int Alpha = 3;
    public const int K = 8;
    private const int MaxCandidates = 256;

    private readonly List<Candidate> _candidates = []; // ordered by distance to the target; unknown ids last
    private readonly HashSet<IPEndPoint> _seen = [];
    private readonly NodeId _target;
    private readonly TimeSpan _slowAfter;
    private readonly TimeProvider _time;
    private readonly TraversalOperation _operation;
    private readonly ILookupNetwork _network;
    private long _nextSequence;
    private Comparer<Candidate>? _comparer;

    /// <summary>
    /// Set once a reply brought no node closer than the closest already known: from then on the
    /// K closest not yet asked are all asked at once (Kademlia's final round), instead of
    /// <see cref="Alpha"/> at a time.
    /// </summary>
    private bool _finalRound;

    /// <summary>A traversal for <paramref name="operation"/> on its network; add the first candidates, then run it.</summary>
    public Traversal(TraversalOperation operation, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(time);
        _operation = operation;
        _network = operation.Network;
        _target = operation.Target;
        _time = time;
        _slowAfter = _network.SlowAfter;
        Self = _network.LocalId;
    }

    /// <summary>
    /// Our own id: never a candidate. Real clients (libtorrent, bittorrent-dht) list a querier
    /// in the <c>nodes</c> they return to it; without this we would query and announce to ourselves.
    /// </summary>
    public NodeId Self { get; }

    /// <summary>The address family of the network the traversal runs on: the nodes it follows are of this family.</summary>
    public AddressFamily Family => _network.Family;

    public int Queried { get; private set; }

    public int Replies { get; private set; }

    public int Errors { get; private set; }

    public int Timeouts { get; private set; }

    public int RoundTrips { get; private set; }

    /// <summary>Adds a node to consider; its id may be unknown (a bootstrap endpoint).</summary>
    public void AddCandidate(NodeId? id, IPEndPoint endPoint, int depth)
    {
        if ((id is not null && id == Self) || !_seen.Add(endPoint))
        {
            return;
        }

        var candidate = new Candidate(id, endPoint, depth, _nextSequence++);
        int index = SortedIndexOf(candidate);
        if (index >= MaxCandidates)
        {
            return; // farther than every candidate kept: it would be dropped at once
        }

        _candidates.Insert(index, candidate);
        TrimToBound();
    }

    /// <summary>The candidates in their order (nearest the target first, unknown ids last); for tests.</summary>
    internal IReadOnlyList<Candidate> Candidates => _candidates;

    /// <summary>Where <paramref name="candidate"/> belongs in the list, which is kept sorted by <see cref="Compare"/>.</summary>
    private int SortedIndexOf(Candidate candidate)
    {
        int index = _candidates.BinarySearch(candidate, _comparer ??= Comparer<Candidate>.Create(Compare));
        return index < 0 ? ~index : index;
    }

    private void TrimToBound()
    {
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

    /// <summary>
    /// Of the <paramref name="count"/> closest nodes that answered, those that gave a write token,
    /// nearest first: where an announce (or a BEP 44 put) goes.
    /// </summary>
    public List<Candidate> ClosestWithToken(int count) => ClosestResponded(count).Where(c => c.Token is not null).ToList();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var inFlight = new List<(Candidate Candidate, Task<RpcResult> Task)>(Alpha * 2);
        var wake = new WakeSignal();
        Action onCompleted = wake.Set;
        ITimer? slowTimer = null;
        using CancellationTokenRegistration onCancelled = cancellationToken.UnsafeRegister(static s => ((WakeSignal)s!).Set(), wake);
        try
        {
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

                if (IsDone() || _operation.IsSatisfied)
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
                    TraceSent(next);
                    Task<RpcResult> query = _network.SendQueryAsync(_operation.CreateQuery(next), next.EndPoint, next.Id, cancellationToken);
                    if (!query.IsCompleted)
                    {
                        // Stored as the task's continuation as is: no allocation, and it runs where
                        // the reply completes the task (on a virtual clock, inside its loop).
                        query.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(onCompleted);
                    }

                    inFlight.Add((next, query));
                    active++;
                }

                if (inFlight.Count == 0)
                {
                    break;
                }

                if (!inFlight.Exists(static q => q.Task.IsCompleted))
                {
                    ArmSlowTimer(inFlight, ref slowTimer, wake);
                    await wake.WaitAsync().ConfigureAwait(false);
                }

                for (int i = inFlight.Count - 1; i >= 0; i--)
                {
                    if (inFlight[i].Task.IsCompleted)
                    {
                        Complete(inFlight[i].Candidate, inFlight[i].Task.Result);
                        inFlight.RemoveAt(i);
                    }
                }
            }
        }
        finally
        {
            slowTimer?.Dispose();
        }
    }

    /// <summary>Sets the one timer of this traversal to wake it when the next node in flight turns slow.</summary>
    private void ArmSlowTimer(List<(Candidate Candidate, Task<RpcResult> Task)> inFlight, ref ITimer? timer, WakeSignal wake)
    {
        TimeSpan? nextSlow = null;
        long now = _time.GetTimestamp();
        foreach ((Candidate c, _) in inFlight)
        {
            if (!c.Slow)
            {
                TimeSpan left = _slowAfter - _time.GetElapsedTime(c.SentAt, now);
                nextSlow = nextSlow is null || left < nextSlow ? left : nextSlow;
            }
        }

        if (nextSlow is not TimeSpan wait)
        {
            timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        // Whole milliseconds, rounded up and at least one: a timer may count in milliseconds, and
        // waking before the node turns slow would make this loop spin (forever on a virtual clock).
        TimeSpan due = TimeSpan.FromMilliseconds(Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds)));
        timer ??= _time.CreateTimer(static s => ((WakeSignal)s!).Set(), wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void Complete(Candidate candidate, RpcResult result)
    {
        TraceCompleted(candidate, result);
        switch (result.Status)
        {
            case RpcStatus.Response:
                KrpcResponse response = result.Response!;
                Replies++;
                if (Responder(candidate, response.Id) is not Candidate responder)
                {
                    break; // it answered with our own id: nothing it says is used
                }

                candidate = responder;
                candidate.State = CandidateState.Responded;
                candidate.Token = response.Token.IsEmpty ? null : response.Token.ToArray();
                RoundTrips = Math.Max(RoundTrips, candidate.Depth + 1);
                Candidate? closestBefore = _candidates.Count > 0 && _candidates[0].Id is not null ? _candidates[0] : null;
                FollowNodes(response, candidate.Depth + 1);

                if (closestBefore is not null && ReferenceEquals(_candidates[0], closestBefore))
                {
                    _finalRound = true;
                }

                _operation.OnResponse(candidate, response);
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

    /// <summary>
    /// Takes the nodes a reply returned in our family's key: <c>nodes</c> on IPv4, <c>nodes6</c> on
    /// IPv6 (BEP 32); the other key is not ours to follow (we could not send to its nodes). An
    /// IPv4-mapped address in <c>nodes6</c>, and port 0, are skipped.
    /// </summary>
    private void FollowNodes(KrpcResponse response, int depth)
    {
        bool v6 = Family == AddressFamily.InterNetworkV6;
        foreach (NodeInfo node in CompactFormat.EnumerateNodes(v6 ? response.Nodes6.Span : response.Nodes.Span, Family))
        {
            if (node.EndPoint.Port != 0 && CompactFormat.IsV4(node.EndPoint.Address) != v6)
            {
                AddCandidate(node.Id, node.EndPoint, depth);
            }
        }
    }

    /// <summary>
    /// The candidate that stands for the node that answered <paramref name="asked"/> with
    /// <paramref name="id"/>, placed where that id sorts; null when the id is our own. A node asked
    /// without a known id (a bootstrap endpoint) takes the id it answers with and moves to its place.
    /// A node that answers with another id than the one we asked for did not answer as that id: the
    /// expected one is marked failed, and the responder enters under its real id (libtorrent does not
    /// count a reply as the expected node's either).
    /// </summary>
    private Candidate? Responder(Candidate asked, NodeId id)
    {
        if (asked.Id == id)
        {
            return asked;
        }

        if (id == Self)
        {
            asked.State = CandidateState.Failed;
            return null;
        }

        Candidate responder;
        if (asked.Id is null)
        {
            _candidates.Remove(asked);
            asked.Id = id;
            responder = asked;
        }
        else
        {
            asked.State = CandidateState.Failed;
            responder = new Candidate(id, asked.EndPoint, asked.Depth, _nextSequence++) { SentAt = asked.SentAt };
        }

        _candidates.Insert(SortedIndexOf(responder), responder);
        TrimToBound();
        return responder;
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
}
