using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht.Lookups;

/// <summary>
/// A BEP 51 crawl: a walk across the keyspace, not a traversal toward one target. Each node met is
/// sent <c>sample_infohashes</c> for a random target, so the <c>nodes</c> it returns come from all
/// over its table; those nodes are queued and asked in turn. A node is never asked again before its
/// <c>interval</c> (<see cref="CrawlSchedule"/>), and one that sampled is asked again once it is over.
/// Queries leave at a bounded rate (<see cref="QueryPacer"/>); new infohashes are told apart from
/// known ones by a filter of fixed memory (<see cref="InfoHashFilter"/>).
/// </summary>
/// <remarks>
/// The loop runs only while its consumer asks for the next infohash: a slow consumer slows the crawl,
/// and nothing is buffered beyond the samples of the replies already in. It runs over every address
/// family the node runs (one <see cref="ILookupNetwork"/> each), following <c>nodes</c> on IPv4 and
/// <c>nodes6</c> on IPv6, with one rate, one schedule and one filter for both.
/// </remarks>
internal sealed partial class Crawler
{
    /// <summary>BEP 51's longest <c>interval</c>; also how long a node that does not sample is left alone.</summary>
    internal static readonly TimeSpan MaxInterval = TimeSpan.FromHours(6);

    /// <summary>How long a node that did not answer (or is being asked) is left alone.</summary>
    internal static readonly TimeSpan FailedWait = TimeSpan.FromMinutes(30);

    /// <summary>With nothing to ask, how long before the routing tables are asked for nodes again.</summary>
    private static readonly TimeSpan ReseedDelay = TimeSpan.FromSeconds(10);

    private readonly IReadOnlyList<ILookupNetwork> _networks;
    private readonly TimeProvider _time;
    private readonly CrawlOptions _options;
    private readonly Random _random;
    private readonly QueryPacer _pacer;
    private readonly CrawlSchedule _schedule;
    private readonly InfoHashFilter _seen;
    private readonly Queue<(NodeId? Id, IPEndPoint EndPoint)> _queue = new();
    private readonly HashSet<IPEndPoint> _queued = [];
    private readonly Lock _statisticsGate = new();
    private CrawlStatistics _statistics;
    private long? _started;
    private long _nextSeed;
    private bool _revisitTurn;
    private long _sends;

    /// <summary>A crawl over <paramref name="networks"/>; <paramref name="random"/> is its own (targets, filter keys).</summary>
    public Crawler(IReadOnlyList<ILookupNetwork> networks, TimeProvider time, CrawlOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        _networks = networks;
        _time = time;
        _options = options;
        _random = random;
        _pacer = new QueryPacer(options.QueriesPerSecond, time);
        _schedule = new CrawlSchedule(options.MaxKnownNodes);
        _seen = new InfoHashFilter(options.DeduplicationCapacity, options.DeduplicationFalsePositiveRate, random);
        _statistics = new CrawlStatistics { DeduplicationBytes = _seen.MemoryBytes };
    }

    /// <summary>The figures so far (any thread).</summary>
    public CrawlStatistics Statistics
    {
        get
        {
            lock (_statisticsGate)
            {
                return _statistics with { Elapsed = _started is long started ? _time.GetElapsedTime(started) : TimeSpan.Zero };
            }
        }
    }

    /// <summary>The schedule, for tests of its bound.</summary>
    internal CrawlSchedule Schedule => _schedule;

    /// <summary>The filter, for tests of its bound.</summary>
    internal InfoHashFilter Seen => _seen;

    /// <summary>Crawls until <paramref name="cancellationToken"/> is cancelled or the consumer stops; yields each new infohash.</summary>
    public async IAsyncEnumerable<CrawledInfoHash> RunAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        lock (_statisticsGate)
        {
            if (_started is not null)
            {
                throw new InvalidOperationException("A crawl runs once.");
            }

            _started = _time.GetTimestamp();
        }

        var inFlight = new List<InFlight>(_options.MaxQueriesInFlight);
        var found = new Queue<CrawledInfoHash>();
        var wake = new WakeSignal();
        Action onCompleted = wake.Set;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using CancellationTokenRegistration onCancelled = cancellationToken.UnsafeRegister(static s => ((WakeSignal)s!).Set(), wake);
        using ITimer timer = _time.CreateTimer(static s => ((WakeSignal)s!).Set(), wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                for (int i = inFlight.Count - 1; i >= 0; i--)
                {
                    if (inFlight[i].Task.IsCompleted)
                    {
                        Complete(inFlight[i], inFlight[i].Task.Result, found);
                        inFlight.RemoveAt(i);
                    }
                }

                while (found.TryDequeue(out CrawledInfoHash infoHash))
                {
                    yield return infoHash;
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                long now = _time.GetTimestamp();
                while (inFlight.Count < _options.MaxQueriesInFlight && _pacer.UntilNext() == TimeSpan.Zero && TryNext(now, out InFlight next))
                {
                    _pacer.TryTake();
                    inFlight.Add(Send(next, now, stop.Token, onCompleted));
                }

                if (inFlight.Exists(static q => q.Task.IsCompleted))
                {
                    continue;
                }

                Arm(timer, UntilWork(now, inFlight.Count));
                await wake.WaitAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            stop.Cancel();
            foreach (InFlight query in inFlight)
            {
                await query.Task.ConfigureAwait(false); // completes at once as cancelled: no transaction left behind
            }
        }
    }

    /// <summary>
    /// The next node to ask at <paramref name="now"/>: a due revisit or a node learned and queued,
    /// taking turns when both wait (new nodes widen the crawl; revisits bring the samples a node
    /// gathered since, and must not starve either); with neither, nodes from a routing table.
    /// </summary>
    private bool TryNext(long now, out InFlight next)
    {
        _revisitTurn = !_revisitTurn;
        if ((_revisitTurn || _queue.Count == 0) && TryTakeRevisit(now, out next))
        {
            return true;
        }

        if (_queue.Count == 0 && now >= _nextSeed)
        {
            Seed(now);
        }

        while (_queue.TryDequeue(out (NodeId? Id, IPEndPoint EndPoint) queued))
        {
            _queued.Remove(queued.EndPoint);
            if (_schedule.MayAsk(queued.EndPoint, now) && NetworkFor(queued.EndPoint) is ILookupNetwork network)
            {
                // Met again through a reply once its wait was over: asked again, not for the first time.
                next = new InFlight(network, queued.Id, queued.EndPoint, Revisit: _schedule.Contains(queued.EndPoint), null!);
                return true;
            }
        }

        return TryTakeRevisit(now, out next);
    }

    private bool TryTakeRevisit(long now, out InFlight next)
    {
        while (_schedule.TryTakeDue(now, out NodeId? dueId, out IPEndPoint? due))
        {
            if (NetworkFor(due!) is ILookupNetwork network)
            {
                next = new InFlight(network, dueId, due!, Revisit: true, null!);
                return true;
            }
        }

        next = default;
        return false;
    }

    /// <summary>Queues nodes from each routing table (or the bootstrap nodes, while a table is short), near a random target.</summary>
    private void Seed(long now)
    {
        _nextSeed = now + Ticks(ReseedDelay);
        foreach (ILookupNetwork network in _networks)
        {
            foreach ((NodeId? id, IPEndPoint endPoint) in network.StartingCandidates(NodeId.CreateRandom(_random)))
            {
                if (id != network.LocalId)
                {
                    Enqueue(id, endPoint, now);
                }
            }
        }
    }

    private InFlight Send(InFlight target, long now, CancellationToken cancellationToken, Action onCompleted)
    {
        ILookupNetwork network = target.Network;

        // One query in four asks for the node's own id, the rest for a random one. A random target
        // brings nodes from anywhere in the keyspace; the node's own id brings its nearest neighbours,
        // and since every node is in its neighbours' tables, following them reaches the nodes that
        // random targets seldom name (a walk on random targets alone stalls short of the whole
        // network: in the simulation, 99.8% of 20,000 infohashes after 20 minutes instead of all).
        bool neighbours = (_sends++ % 4) == 3 && target.Id is not null;
        var query = new SampleInfohashesQuery
        {
            Id = network.LocalId,
            Target = neighbours ? target.Id!.Value : NodeId.CreateRandom(_random),
            Want = network.Family == AddressFamily.InterNetworkV6 ? WantFamilies.IPv6 : WantFamilies.IPv4,
            ReadOnly = network.ReadOnly,
            Version = network.Version,
            // A node that never verified us (a crawler is read-only: none ever does) answers with at
            // most 4 times the query: padded, the query earns a whole sample and its nodes.
            Padding = KrpcQuery.LargeReplyPadding,
        };

        // Not asked again while this query is out, nor for a while if it goes unanswered.
        _schedule.Set(target.EndPoint, target.Id, now + Ticks(FailedWait), revisit: false, now);
        lock (_statisticsGate)
        {
            _statistics = _statistics with
            {
                QueriesSent = _statistics.QueriesSent + 1,
                NodesQueried = _statistics.NodesQueried + (target.Revisit ? 0 : 1),
                KnownNodes = _schedule.Count,
                QueuedNodes = _queue.Count,
            };
        }

        Task<RpcResult> task = network.SendQueryAsync(query, target.EndPoint, target.Id, cancellationToken);
        if (!task.IsCompleted)
        {
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(onCompleted);
        }

        return target with { Task = task };
    }

    private ILookupNetwork? NetworkFor(IPEndPoint endPoint)
    {
        AddressFamily family = CompactFormat.IsV4(endPoint.Address) ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        foreach (ILookupNetwork network in _networks)
        {
            if (network.Family == family)
            {
                return network;
            }
        }

        return null;
    }

    private void Enqueue(NodeId? id, IPEndPoint endPoint, long now)
    {
        if (_queue.Count < _options.MaxQueuedNodes && _schedule.MayAsk(endPoint, now) && _queued.Add(endPoint))
        {
            _queue.Enqueue((id, endPoint));
        }
    }

    /// <summary>How long the loop may sleep when nothing is in: until a token, a due revisit or a reseed, whichever it needs first.</summary>
    private TimeSpan UntilWork(long now, int inFlight)
    {
        if (inFlight >= _options.MaxQueriesInFlight)
        {
            return Timeout.InfiniteTimeSpan; // a completion wakes it
        }

        TimeSpan token = _pacer.UntilNext();
        if (token > TimeSpan.Zero && (_queue.Count > 0 || _schedule.NextDue() <= now))
        {
            return token;
        }

        long wakeAt = _queue.Count > 0 ? now : _nextSeed;
        if (_schedule.NextDue() is long due && due < wakeAt)
        {
            wakeAt = due;
        }

        return Max(token, _time.GetElapsedTime(now, Math.Max(now, wakeAt)));
    }

    /// <summary>Arms the loop's timer; whole milliseconds, rounded up and at least one (waking early would spin on a virtual clock).</summary>
    private static void Arm(ITimer timer, TimeSpan wait)
    {
        TimeSpan due = wait == Timeout.InfiniteTimeSpan
            ? Timeout.InfiniteTimeSpan
            : TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(wait.TotalMilliseconds)));
        timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>A query the crawl has out (or is about to send): where, to which node, and whether it is a revisit.</summary>
    private readonly record struct InFlight(ILookupNetwork Network, NodeId? Id, IPEndPoint EndPoint, bool Revisit, Task<RpcResult> Task);
}
