using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using MainlineDht.Diagnostics;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// Runs a lookup over every running address family at once: one <see cref="Traversal"/> per
/// <see cref="ILookupNetwork"/>, each with its own operation, and one report that merges them
/// (peers of both families, the closest nodes of both families, counts summed, the longest chain of
/// round trips, the wall time of the whole).
/// </summary>
internal sealed partial class LookupRunner
{
    private readonly IReadOnlyList<ILookupNetwork> _networks;
    private readonly TimeProvider _time;
    private readonly LookupOptions _options;

    /// <summary>A runner over <paramref name="networks"/> (one per running family), timed on <paramref name="time"/>.</summary>
    /// <param name="networks">One per running address family.</param>
    /// <param name="time">The clock of the lookups.</param>
    /// <param name="options">How the traversals run; default <see cref="LookupOptions.Default"/>.</param>
    public LookupRunner(IReadOnlyList<ILookupNetwork> networks, TimeProvider time, LookupOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(networks);
        ArgumentNullException.ThrowIfNull(time);
        _networks = networks;
        _time = time;
        _options = options ?? LookupOptions.Default;
        Trace = _options.Trace;
    }

    /// <summary>
    /// Whether the lookups of this runner record every query they send in <see cref="LookupReport.Trace"/>
    /// (<see cref="LookupOptions.Trace"/>); off by default, and then nothing is recorded.
    /// </summary>
    public bool Trace { get; init; }

    /// <summary>
    /// The node's instruments and activity source: each lookup of this runner is measured
    /// (<c>dht.lookups</c>) and traced (one activity) through them. Null (tests, bucket refreshes): not measured.
    /// </summary>
    public NodeDiagnostics? Diagnostics { get; init; }

    /// <summary>
    /// An iterative <c>find_node</c> toward <paramref name="target"/> on every family. Each traversal
    /// starts from its network's <see cref="ILookupNetwork.StartingCandidates"/>, or, when
    /// <paramref name="seeds"/> are given (a bootstrap step), from the seeds of its family only.
    /// </summary>
    public async Task<LookupReport> FindNodeAsync(NodeId target, IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)>? seeds, CancellationToken cancellationToken)
    {
        LookupScope scope = LookupScope.Start(Diagnostics, LookupScope.FindNode, target);
        try
        {
            long started = _time.GetTimestamp();
            IReadOnlyList<FamilyTraversal<FindNodeOperation>> runs =
                await RunAsync(n => new FindNodeOperation(n, target), seeds, cancellationToken).ConfigureAwait(false);
            LookupReport report = Report(target, runs, started, cancellationToken.IsCancellationRequested);
            scope.Complete(report);
            return report;
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
    }

    /// <summary>
    /// A bucket's refresh: a <c>find_node</c> toward <paramref name="target"/> (at distance
    /// <paramref name="depth"/> from <paramref name="localId"/>) that ends once K nodes of that range
    /// have answered (<see cref="BucketFillOperation"/>).
    /// </summary>
    public async Task<LookupReport> RefreshBucketAsync(NodeId target, NodeId localId, int depth, IReadOnlyList<NodeId> known, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        IReadOnlyList<FamilyTraversal<BucketFillOperation>> runs =
            await RunAsync(n => new BucketFillOperation(n, target, localId, depth, known), null, cancellationToken).ConfigureAwait(false);
        return Report(target, runs, started, cancellationToken.IsCancellationRequested);
    }

    /// <summary>
    /// One bootstrap step: a <c>find_node</c> toward <paramref name="target"/> from
    /// <paramref name="seeds"/> only, every seed asked at once, and what became of each seed.
    /// </summary>
    public async Task<(LookupReport Report, IReadOnlyList<StartingOutcome> Seeds)> BootstrapAsync(NodeId target, IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)> seeds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        long started = _time.GetTimestamp();
        IReadOnlyList<FamilyTraversal<FindNodeOperation>> runs =
            await RunAsync(n => new FindNodeOperation(n, target), seeds, cancellationToken, queryAllSeeds: true).ConfigureAwait(false);
        return (Report(target, runs, started, cancellationToken.IsCancellationRequested), [.. runs.SelectMany(r => r.Traversal.StartingOutcomes)]);
    }

    /// <summary>
    /// An iterative <c>get_peers</c> for <paramref name="infoHash"/> on every family: the distinct peers
    /// found (each written to <paramref name="sink"/> as it arrives; the sink is completed at the end)
    /// and the merged report.
    /// </summary>
    public async Task<PeerLookupResult> LookupPeersAsync(NodeId infoHash, ChannelWriter<IPEndPoint>? sink, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        LookupScope scope = LookupScope.Start(Diagnostics, LookupScope.GetPeers, infoHash);
        try
        {
            var peers = new PeerCollector(sink, _time);
            IReadOnlyList<FamilyTraversal<GetPeersOperation>> runs =
                await RunAsync(n => new GetPeersOperation(n, infoHash, peers), null, cancellationToken).ConfigureAwait(false);
            List<IPEndPoint> found = peers.ToList();
            LookupReport report = Report(infoHash, runs, started, cancellationToken.IsCancellationRequested) with
            {
                PeersFound = found.Count,
                FirstPeerAfter = Since(started, peers.FirstPeerAt),
            };
            scope.Complete(report);
            return new PeerLookupResult(found, report);
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
        finally
        {
            sink?.TryComplete();
        }
    }

    /// <summary>
    /// Announces a peer for <paramref name="infoHash"/> on every family: a <c>get_peers</c> traversal,
    /// then <c>announce_peer</c> to the K closest nodes of that family that gave a token.
    /// </summary>
    /// <param name="infoHash">The infohash.</param>
    /// <param name="port">The peer's port; with <paramref name="impliedPort"/>, any value (a port outside 1–65535 is replaced, see <paramref name="sourcePort"/>).</param>
    /// <param name="impliedPort">BEP 5 <c>implied_port</c>: the receivers store our UDP source port.</param>
    /// <param name="sourcePort">
    /// Our UDP port on a network: BEP 5 makes <c>port</c> mandatory even with <c>implied_port</c> (libtorrent
    /// rejects an announce without it), so with <paramref name="impliedPort"/> and no valid
    /// <paramref name="port"/> the query carries the port of the socket it leaves from.
    /// </param>
    /// <param name="cancellationToken">Ends the lookup and the announce.</param>
    /// <param name="seed">BEP 33 <c>seed</c>: the peer is a seed (it counts in scrapes' <c>BFsd</c>).</param>
    public async Task<LookupReport> AnnounceAsync(NodeId infoHash, int port, bool impliedPort, Func<ILookupNetwork, int> sourcePort, CancellationToken cancellationToken, bool seed = false)
    {
        ArgumentNullException.ThrowIfNull(sourcePort);
        LookupScope scope = LookupScope.Start(Diagnostics, LookupScope.Announce, infoHash);
        try
        {
            long started = _time.GetTimestamp();
            var peers = new PeerCollector(time: _time);
            IReadOnlyList<FamilyTraversal<AnnounceOperation>> runs = await RunAsync(
                n => new AnnounceOperation(n, infoHash, impliedPort && port is < 1 or > 65535 ? sourcePort(n) : port, impliedPort, peers, seed),
                null,
                cancellationToken).ConfigureAwait(false);
            LookupReport report = Report(infoHash, runs, started, cancellationToken.IsCancellationRequested) with
            {
                AnnouncedTo = runs.SelectMany(r => r.Operation.AnnouncedTo).ToList(),
                FirstPeerAfter = Since(started, peers.FirstPeerAt),
            };
            scope.Complete(report);
            return report;
        }
        catch (Exception e)
        {
            scope.Fail(e);
            throw;
        }
    }

    /// <summary>
    /// The shared part of every lookup: one traversal per network, concurrently, each with the
    /// operation <paramref name="create"/> makes for it, then that operation's after-traversal step.
    /// </summary>
    public async Task<IReadOnlyList<FamilyTraversal<TOperation>>> RunAsync<TOperation>(
        Func<ILookupNetwork, TOperation> create,
        IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)>? seeds,
        CancellationToken cancellationToken,
        bool queryAllSeeds = false)
        where TOperation : TraversalOperation
    {
        ArgumentNullException.ThrowIfNull(create);
        if (_networks.Count == 1)
        {
            return [await RunOneAsync(create(_networks[0]), seeds, cancellationToken, queryAllSeeds).ConfigureAwait(false)];
        }

        var runs = new Task<FamilyTraversal<TOperation>>[_networks.Count];
        for (int i = 0; i < runs.Length; i++)
        {
            runs[i] = RunOneAsync(create(_networks[i]), seeds, cancellationToken, queryAllSeeds);
        }

        return await Task.WhenAll(runs).ConfigureAwait(false);
    }

    private async Task<FamilyTraversal<TOperation>> RunOneAsync<TOperation>(
        TOperation operation,
        IReadOnlyList<(NodeId? Id, IPEndPoint EndPoint)>? seeds,
        CancellationToken cancellationToken,
        bool queryAllSeeds)
        where TOperation : TraversalOperation
    {
        var traversal = new Traversal(operation, _time, _options) { QueryAllStartingNodes = queryAllSeeds };
        if (Trace)
        {
            traversal.EnableTrace();
        }

        if (seeds is null)
        {
            foreach ((NodeId? id, IPEndPoint endPoint) in operation.Network.StartingCandidates(operation.Target))
            {
                TimeSpan? roundTrip = _options.PreferShortRoundTrip && id is NodeId known ? operation.Network.MeasuredRoundTrip(known) : null;
                traversal.AddCandidate(id, endPoint, 0, roundTrip);
            }
        }
        else
        {
            // A bootstrap step: only the nodes of this step, of this network's family.
            bool v4 = operation.Network.Family == AddressFamily.InterNetwork;
            foreach ((NodeId? id, IPEndPoint endPoint) in seeds)
            {
                if (CompactFormat.IsV4(endPoint.Address) == v4)
                {
                    traversal.AddCandidate(id, endPoint, 0);
                }
            }
        }

        await traversal.RunAsync(cancellationToken).ConfigureAwait(false);
        await operation.AfterTraversalAsync(traversal, cancellationToken).ConfigureAwait(false);
        return new FamilyTraversal<TOperation>(traversal, operation);
    }

    /// <summary>
    /// One report for the traversals of one lookup: counts summed, the longest chain of round trips,
    /// the closest responsive nodes of each family (K of each at most) merged nearest first.
    /// </summary>
    private LookupReport Report<TOperation>(NodeId target, IReadOnlyList<FamilyTraversal<TOperation>> runs, long started, bool cancelled)
        where TOperation : TraversalOperation
    {
        var closest = new List<NodeInfo>(Traversal.K * runs.Count);
        int queried = 0, replies = 0, errors = 0, timeouts = 0, roundTrips = 0;
        long? closestAt = null;
        foreach ((Traversal traversal, _) in runs)
        {
            if (traversal.ClosestAnsweredAt(Traversal.K) is long at)
            {
                closestAt = Math.Max(closestAt ?? at, at);
            }

            queried += traversal.Queried;
            replies += traversal.Replies;
            errors += traversal.Errors;
            timeouts += traversal.Timeouts;
            roundTrips = Math.Max(roundTrips, traversal.RoundTrips);
            closest.AddRange(traversal.ClosestResponded(Traversal.K).Select(c => new NodeInfo(c.Id!.Value, c.EndPoint)));
        }

        if (runs.Count > 1)
        {
            // Stable: equally distant entries (one node on both families) keep the order of the families.
            closest = [.. closest.OrderBy(n => n.Id, Comparer<NodeId>.Create(target.CompareDistance))];
        }

        return new LookupReport
        {
            Target = target,
            NodesQueried = queried,
            Replies = replies,
            Errors = errors,
            Timeouts = timeouts,
            RoundTrips = roundTrips,
            Elapsed = _time.GetElapsedTime(started),
            ClosestAnsweredAfter = Since(started, closestAt),
            ClosestNodes = closest,
            Cancelled = cancelled,
            Trace = Trace ? [.. runs.SelectMany(r => r.Traversal.Trace).OrderBy(e => e.SentAfter)] : [],
        };
    }

    /// <summary>The time from <paramref name="started"/> to <paramref name="at"/> (timestamps of the runner's clock); null without <paramref name="at"/>.</summary>
    private TimeSpan? Since(long started, long? at) => at is long t ? _time.GetElapsedTime(started, t) : null;
}

/// <summary>One family's traversal of a lookup and its operation, for the runner's caller to merge what is the operation's own.</summary>
/// <param name="Traversal">The traversal, ended.</param>
/// <param name="Operation">Its operation, after its after-traversal step.</param>
internal readonly record struct FamilyTraversal<TOperation>(Traversal Traversal, TOperation Operation)
    where TOperation : TraversalOperation;
