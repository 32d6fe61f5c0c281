using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// An iterative Kademlia traversal toward a target (BEP 5): keeps the closest candidates, queries
/// <see cref="LookupOptions.Alpha"/> at a time, lets a node that is slow to answer free its slot without being
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
    public const int Alpha = LookupOptions.DefaultAlpha;
    public const int K = 8;

    /// <summary>With <see cref="LookupOptions.CloserThanThirdResponder"/>: only nodes closer than this many responders are asked.</summary>
    private const int NarrowResponders = 3;
    private const int MaxCandidates = 256;

    private readonly List<Candidate> _candidates = []; // ordered by distance to the target; unknown ids last
    private readonly HashSet<NodeAddress> _seen = new(64); // a lookup sees a few dozen to a few hundred nodes: fewer regrowths
    private readonly IpDiversity _diversity;
    private HashSet<ulong>? _ranges; // the /24s (/64s) of the candidates whose address the diversity rule applies to
    private readonly NodeId _target;
    private readonly TimeSpan _slowAfter;
    private readonly TimeProvider _time;
    private readonly TraversalOperation _operation;
    private readonly ILookupNetwork _network;
    private readonly int _alpha;
    private readonly bool _narrow;
    private readonly bool _preferShortRoundTrip;
    private readonly bool _finalRoundEnabled;
    private long _nextSequence;
    private int _startingBurst;
    private List<StartingOutcome>? _startingOutcomes;

    /// <summary>
    /// Set once a reply brought no node closer than the closest already known: from then on the
    /// K closest not yet asked are all asked at once (Kademlia's final round), instead of
    /// <see cref="Alpha"/> at a time.
    /// </summary>
    private bool _finalRound;

    /// <summary>A traversal for <paramref name="operation"/> on its network; add the first candidates, then run it.</summary>
    /// <param name="operation">What the traversal is for.</param>
    /// <param name="time">Its clock.</param>
    /// <param name="options">How it runs; default <see cref="LookupOptions.Default"/>.</param>
    public Traversal(TraversalOperation operation, TimeProvider time, LookupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(time);
        options ??= LookupOptions.Default;
        _operation = operation;
        _network = operation.Network;
        _target = operation.Target;
        _time = time;
        _slowAfter = options.SlowAfter ?? _network.SlowAfter;
        _alpha = options.Alpha;
        _narrow = options.CloserThanThirdResponder && operation.SeeksValues;
        _preferShortRoundTrip = options.PreferShortRoundTrip;
        _finalRoundEnabled = options.FinalRound;
        _diversity = _network.IpDiversity;
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

    /// <summary>
    /// Send to every starting node (depth 0, up to K) at once instead of alpha at a
    /// time: a bootstrap asks all its routers, so that a dead one costs no time and each gets a verdict.
    /// </summary>
    public bool QueryAllStartingNodes { get; init; }

    /// <summary>What became of each starting node (depth 0) that was queried, in the order they ended.</summary>
    public IReadOnlyList<StartingOutcome> StartingOutcomes => _startingOutcomes ?? (IReadOnlyList<StartingOutcome>)[];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var inFlight = new List<(Candidate Candidate, Task<RpcResult> Task)>(_alpha * 2);
        var wake = new WakeSignal();
        Action onCompleted = wake.Set;
        ITimer? slowTimer = null;
        using CancellationTokenRegistration onCancelled = cancellationToken.UnsafeRegister(static s => ((WakeSignal)s!).Set(), wake);
        _startingBurst = QueryAllStartingNodes ? Math.Min(K, _candidates.Count(static c => c.Depth == 0)) : 0;
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
                int parallel = Math.Min(_finalRound ? Math.Max(K, _alpha) : Math.Max(_alpha, _startingBurst), Math.Max(1, _operation.MaxInFlight));
                _startingBurst = 0;
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
            foreach ((Candidate c, Task<RpcResult> task) in inFlight)
            {
                if (c.Depth == 0 && !task.IsCompleted)
                {
                    // A starting node still silent when the traversal ends (others answered first).
                    (_startingOutcomes ??= []).Add(new StartingOutcome(c.EndPoint, RpcStatus.Timeout, TimeSpan.Zero, null, _time.GetElapsedTime(c.SentAt)));
                }
            }
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
        if (candidate.Depth == 0)
        {
            (_startingOutcomes ??= []).Add(new StartingOutcome(candidate.EndPoint, result.Status, result.RoundTripTime, result.Error?.Code));
        }

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
                candidate.RespondedAt = _time.GetTimestamp();
                candidate.Token = response.Token.IsEmpty ? null : response.Token.ToArray();
                RoundTrips = Math.Max(RoundTrips, candidate.Depth + 1);
                Candidate? closestBefore = _candidates.Count > 0 && _candidates[0].Id is not null ? _candidates[0] : null;
                FollowNodes(response, candidate.Depth + 1, candidate.EndPoint);

                if (_finalRoundEnabled && closestBefore is not null && ReferenceEquals(_candidates[0], closestBefore))
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
    /// IPv4-mapped address in <c>nodes6</c> is skipped, and so is whatever the network calls junk
    /// (<see cref="ILookupNetwork.ShouldFollow"/>: port 0, unusable addresses, ourselves…).
    /// </summary>
    private void FollowNodes(KrpcResponse response, int depth, IPEndPoint namedBy)
    {
        bool v6 = Family == AddressFamily.InterNetworkV6;
        ReadOnlySpan<byte> nodes = v6 ? response.Nodes6.Span : response.Nodes.Span;
        int size = v6 ? CompactFormat.NodeV6Size : CompactFormat.NodeV4Size;
        for (int offset = 0; offset + size <= nodes.Length; offset += size)
        {
            // Replies in one lookup name many of the same nodes: one seen already is passed over
            // before an endpoint is made for it.
            ReadOnlySpan<byte> entry = nodes.Slice(offset, size);
            NodeAddress address = NodeAddress.FromCompact(entry[NodeId.Size..]);
            if (_seen.Contains(address) || !CompactFormat.TryReadNode(entry, out NodeInfo node))
            {
                continue;
            }

            if (CompactFormat.IsV4(node.EndPoint.Address) != v6 && _network.ShouldFollow(node.Id, node.EndPoint, namedBy))
            {
                AddCandidate(node.Id, node.EndPoint, address, depth, roundTrip: null);
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
}
