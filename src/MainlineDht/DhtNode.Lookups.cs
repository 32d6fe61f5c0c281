using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MainlineDht.Lookups;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>Runs the lookups over the node's address families: one traversal per running engine, merged.</summary>
    private readonly LookupRunner _lookups;

    /// <summary>
    /// Fills the routing tables beyond our own neighbourhood: one <c>find_node</c> for a random id
    /// at each distance from ours that a table covers (as a node does after bootstrapping), on that
    /// table's family, each ending once K nodes at that distance have answered (a far bucket's range
    /// is found in a few rounds; converging on the random id would cost the network twice the queries).
    /// The good nodes a bucket holds already count toward its K (a bucket full of them is skipped),
    /// and distances closer than the K closest nodes we know are skipped too (the lookup of our own
    /// id found all there is there).
    /// </summary>
    private async Task RefreshAllBucketsAsync(CancellationToken cancellationToken)
    {
        var lookups = new List<Task<LookupReport>>();
        foreach (DhtEngine engine in _engines)
        {
            int buckets;
            lock (_gate)
            {
                // Deeper than the K closest nodes we know, the lookup of our own id found them all.
                buckets = engine.Routing.NeighbourhoodDepth(_time.GetUtcNow()) is int deepest
                    ? Math.Min(engine.Routing.BucketCount, deepest + 1)
                    : engine.Routing.BucketCount;
            }

            LookupRunner family = new([engine], _time);
            for (int depth = 0; depth < buckets; depth++)
            {
                NodeId target;
                List<NodeId> known;
                lock (_gate)
                {
                    known = engine.Routing.GoodIdsAt(depth, _time.GetUtcNow());
                    if (known.Count >= BucketFillOperation.Wanted)
                    {
                        continue; // full of nodes that just answered (the join's own lookup passed there)
                    }

                    NodeId flipped = Id ^ (NodeId.PrefixMask(depth + 1) ^ NodeId.PrefixMask(depth));
                    target = NodeId.CreateRandomInRange(flipped, depth + 1, _random);
                }

                lookups.Add(family.RefreshBucketAsync(target, Id, depth, known, cancellationToken));
            }
        }

        await Task.WhenAll(lookups).ConfigureAwait(false);
    }

    /// <summary>Looks up the nodes closest to <paramref name="target"/> (an iterative <c>find_node</c>).</summary>
    public Task<LookupReport> FindNodeAsync(NodeId target, CancellationToken cancellationToken = default) =>
        _lookups.FindNodeAsync(target, null, cancellationToken);

    /// <summary>
    /// Looks up the nodes closest to <paramref name="target"/> (an iterative <c>find_node</c>) as
    /// <paramref name="options"/> say (alpha, soft timeout; with <see cref="LookupOptions.Trace"/>, the report's
    /// <see cref="LookupReport.Trace"/> lists every query).
    /// </summary>
    public Task<LookupReport> FindNodeAsync(NodeId target, LookupOptions options, CancellationToken cancellationToken = default) =>
        Runner(options).FindNodeAsync(target, null, cancellationToken);

    /// <summary>
    /// An iterative <c>find_node</c> from <paramref name="seeds"/> only (a bootstrap step; see
    /// BootstrapAsync for the order).
    /// </summary>
    private Task<LookupReport> FindNodeAsync(NodeId target, IEnumerable<(NodeId? Id, IPEndPoint EndPoint)> seeds, CancellationToken cancellationToken) =>
        _lookups.FindNodeAsync(target, seeds.ToList(), cancellationToken);

    /// <summary>
    /// Finds peers for <paramref name="infoHash"/> with an iterative <c>get_peers</c>, yielding each
    /// distinct peer as soon as a node returns it. Stops early when the caller stops enumerating.
    /// </summary>
    public async IAsyncEnumerable<IPEndPoint> GetPeersAsync(NodeId infoHash, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // On a virtual clock (RunContinuationsInline) the reader continues on the clock's thread, like
        // everything else the node does, so a simulated run stays deterministic.
        var peers = Channel.CreateUnbounded<IPEndPoint>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = _options.RunContinuationsInline });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<PeerLookupResult> lookup = _lookups.LookupPeersAsync(infoHash, peers.Writer, stop.Token);
        try
        {
            await foreach (IPEndPoint peer in peers.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return peer;
            }
        }
        finally
        {
            stop.Cancel();
            await lookup.ConfigureAwait(false);
        }
    }

    /// <summary>Finds peers for <paramref name="infoHash"/> and returns them all with the lookup's report.</summary>
    public Task<PeerLookupResult> LookupPeersAsync(NodeId infoHash, CancellationToken cancellationToken = default) =>
        _lookups.LookupPeersAsync(infoHash, null, cancellationToken);

    /// <summary>
    /// Finds peers for <paramref name="infoHash"/> as <paramref name="options"/> say and returns them all
    /// with the lookup's report (with <see cref="LookupOptions.Trace"/>, its <see cref="LookupReport.Trace"/>).
    /// </summary>
    public Task<PeerLookupResult> LookupPeersAsync(NodeId infoHash, LookupOptions options, CancellationToken cancellationToken = default) =>
        Runner(options).LookupPeersAsync(infoHash, null, cancellationToken);

    /// <summary>The node's runner, or one that runs as <paramref name="options"/> say when they are not the defaults.</summary>
    private LookupRunner Runner(LookupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options == LookupOptions.Default ? _lookups : new LookupRunner(_engines, _time, options) { Diagnostics = _context.Diagnostics };
    }

    /// <summary>
    /// Announces that a peer for <paramref name="infoHash"/> listens on <paramref name="port"/>
    /// (or, with <paramref name="impliedPort"/>, on our UDP source port): a <c>get_peers</c> lookup,
    /// then <c>announce_peer</c> to the K closest nodes that gave a token.
    /// </summary>
    /// <remarks>
    /// With <paramref name="impliedPort"/>, the query still carries <c>port</c> (BEP 5 requires it
    /// and libtorrent rejects an announce without it): <paramref name="port"/> when it is a valid
    /// port, else our UDP port. Nodes that honour <c>implied_port</c> store the source port.
    /// </remarks>
    public async Task<LookupReport> AnnounceAsync(NodeId infoHash, int port, bool impliedPort = false, CancellationToken cancellationToken = default)
    {
        CheckPeerPort(port, impliedPort); // a bad port faults the returned task, as it always did
        return await _lookups.AnnounceAsync(infoHash, port, impliedPort, network => ((DhtEngine)network).Transport.LocalEndPoint.Port, cancellationToken).ConfigureAwait(false);
    }
}

public sealed partial class DhtNode
{
    /// <summary>The default time between announces of a standing announcement.</summary>
    public static readonly TimeSpan DefaultReannounceInterval = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Announces <paramref name="infoHash"/> now and again every <paramref name="interval"/>
    /// (default 15 minutes) until the returned announcement is disposed or the node stops.
    /// </summary>
    public DhtAnnouncement StartAnnouncing(NodeId infoHash, int port, bool impliedPort = false, TimeSpan? interval = null)
    {
        CheckPeerPort(port, impliedPort);

        TimeSpan every = interval ?? DefaultReannounceInterval;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(every, TimeSpan.Zero);
        var announcement = new DhtAnnouncement(this, infoHash, port, impliedPort, every);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_context.Disposed, this);
            (_announcements ??= []).Add(announcement);
        }

        announcement.Start(_time);
        return announcement;
    }

    private static void CheckPeerPort(int port, bool impliedPort)
    {
        if (!impliedPort)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        }
    }

    internal void Forget(DhtAnnouncement announcement)
    {
        lock (_gate)
        {
            _announcements?.Remove(announcement);
        }
    }
}
