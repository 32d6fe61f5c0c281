using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using MainlineDht.Lookups;
using MainlineDht.Node;
using MainlineDht.Protocol;
using MainlineDht.Routing;
using MainlineDht.Rpc;

namespace MainlineDht;

public sealed partial class DhtNode
{
    /// <summary>
    /// Fills the routing table beyond our own neighbourhood: one <c>find_node</c> for a random id
    /// at each distance from ours that the table covers (as a node does after bootstrapping).
    /// </summary>
    private async Task RefreshAllBucketsAsync(CancellationToken cancellationToken)
    {
        int buckets;
        lock (_gate)
        {
            buckets = _engines[0].Routing.BucketCount;
        }

        var lookups = new List<Task<LookupReport>>(buckets);
        for (int depth = 0; depth < buckets; depth++)
        {
            NodeId target;
            lock (_gate)
            {
                NodeId flipped = Id ^ (NodeId.PrefixMask(depth + 1) ^ NodeId.PrefixMask(depth));
                target = NodeId.CreateRandomInRange(flipped, depth + 1, _random);
            }

            lookups.Add(FindNodeAsync(target, cancellationToken));
        }

        await Task.WhenAll(lookups).ConfigureAwait(false);
    }

    /// <summary>Looks up the nodes closest to <paramref name="target"/> (an iterative <c>find_node</c>).</summary>
    public Task<LookupReport> FindNodeAsync(NodeId target, CancellationToken cancellationToken = default) =>
        FindNodeAsync(target, null, cancellationToken);

    /// <summary>
    /// An iterative <c>find_node</c> from the routing table and <paramref name="seeds"/>; with no
    /// seeds, from the table and, while it is small, the saved and bootstrap nodes.
    /// </summary>
    private async Task<LookupReport> FindNodeAsync(NodeId target, IEnumerable<(NodeId? Id, IPEndPoint EndPoint)>? seeds, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        Traversal traversal = NewTraversal(
            target,
            (c, ct) => SendQueryAsync(new FindNodeQuery { Id = Id, Target = target, ReadOnly = _options.ReadOnly, Version = _options.Version }, c.EndPoint, c.Id, ct),
            seeds: seeds);
        await traversal.RunAsync(cancellationToken).ConfigureAwait(false);
        return Report(traversal, target, started, cancellationToken.IsCancellationRequested);
    }

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
        Task<PeerLookupResult> lookup = LookupPeersAsync(infoHash, peers.Writer, stop.Token);
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
        LookupPeersAsync(infoHash, null, cancellationToken);

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
        CheckPeerPort(port, impliedPort);

        // BEP 5 makes 'port' mandatory even with implied_port (libtorrent rejects an announce
        // without it): with implied_port, send the given port, or else our UDP port.
        int portToSend = impliedPort && port is < 1 or > 65535 ? LocalEndPoint.Port : port;
        long started = _time.GetTimestamp();
        (Traversal traversal, _) = await RunGetPeersAsync(infoHash, null, cancellationToken).ConfigureAwait(false);
        var targets = traversal.ClosestResponded(Traversal.K).Where(c => c.Token is not null).ToList();
        Task<RpcResult>[] sends = targets.Select(c => SendQueryAsync(
            new AnnouncePeerQuery { Id = Id, InfoHash = infoHash, Port = portToSend, ImpliedPort = impliedPort, Token = c.Token, ReadOnly = _options.ReadOnly, Version = _options.Version },
            c.EndPoint,
            c.Id,
            cancellationToken)).ToArray();
        RpcResult[] results = await Task.WhenAll(sends).ConfigureAwait(false);
        var accepted = new List<NodeInfo>();
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i].Status == RpcStatus.Response)
            {
                accepted.Add(new NodeInfo(targets[i].Id!.Value, targets[i].EndPoint));
            }
        }

        return Report(traversal, infoHash, started, cancellationToken.IsCancellationRequested) with { AnnouncedTo = accepted };
    }

    private async Task<PeerLookupResult> LookupPeersAsync(NodeId infoHash, ChannelWriter<IPEndPoint>? sink, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        try
        {
            (Traversal traversal, List<IPEndPoint> peers) = await RunGetPeersAsync(infoHash, sink, cancellationToken).ConfigureAwait(false);
            return new PeerLookupResult(peers, Report(traversal, infoHash, started, cancellationToken.IsCancellationRequested) with { PeersFound = peers.Count });
        }
        finally
        {
            sink?.TryComplete();
        }
    }

    private async Task<(Traversal Traversal, List<IPEndPoint> Peers)> RunGetPeersAsync(NodeId infoHash, ChannelWriter<IPEndPoint>? sink, CancellationToken cancellationToken)
    {
        var peers = new List<IPEndPoint>();
        var seen = new HashSet<IPEndPoint>();
        var peersGate = new Lock();
        Traversal traversal = NewTraversal(
            infoHash,
            (c, ct) => SendQueryAsync(new GetPeersQuery { Id = Id, InfoHash = infoHash, ReadOnly = _options.ReadOnly, Version = _options.Version }, c.EndPoint, c.Id, ct),
            (_, response) =>
            {
                foreach (ReadOnlySpan<byte> entry in response.Values)
                {
                    if (CompactFormat.TryReadPeer(entry, out IPEndPoint? peer) && peer.Port != 0)
                    {
                        lock (peersGate)
                        {
                            if (seen.Count < 10_000 && seen.Add(peer))
                            {
                                peers.Add(peer);
                                sink?.TryWrite(peer);
                            }
                        }
                    }
                }
            });
        await traversal.RunAsync(cancellationToken).ConfigureAwait(false);
        return (traversal, peers);
    }

    private Traversal NewTraversal(
        NodeId target,
        Func<Traversal.Candidate, CancellationToken, Task<RpcResult>> query,
        Action<Traversal.Candidate, KrpcResponse>? onResponse = null,
        IEnumerable<(NodeId? Id, IPEndPoint EndPoint)>? seeds = null)
    {
        // One family (the first engine's) until the lookups run over every running family.
        DhtEngine engine = _engines[0];
        NodeEntry[] closest;
        TimeSpan slowAfter;
        lock (_gate)
        {
            slowAfter = engine.Rpc.SlowAfter;
            closest = engine.Routing.FindClosest(target, Traversal.K * 2, includeQuestionable: true, _time.GetUtcNow());
        }

        var traversal = new Traversal(target, _time, slowAfter, query, onResponse) { Self = Id };
        foreach (NodeEntry entry in closest)
        {
            traversal.AddCandidate(entry.Id, entry.EndPoint, 0);
        }

        if (seeds is not null)
        {
            // A bootstrap step: only the nodes of this step (see BootstrapAsync for the order).
            foreach ((NodeId? id, IPEndPoint endPoint) in seeds)
            {
                if (DhtEngine.FamilyOf(endPoint) == engine.Family)
                {
                    traversal.AddCandidate(id, endPoint, 0);
                }
            }
        }
        else if (closest.Length < Traversal.K)
        {
            // A restarted node rejoins through the nodes it saved; bootstrap nodes come after them.
            foreach ((NodeId? id, IPEndPoint endPoint) in BootstrapCandidates(engine.Family))
            {
                traversal.AddCandidate(id, endPoint, 0);
            }
        }

        return traversal;
    }

    private LookupReport Report(Traversal traversal, NodeId target, long started, bool cancelled) => new()
    {
        Target = target,
        NodesQueried = traversal.Queried,
        Replies = traversal.Replies,
        Errors = traversal.Errors,
        Timeouts = traversal.Timeouts,
        RoundTrips = traversal.RoundTrips,
        Elapsed = _time.GetElapsedTime(started),
        ClosestNodes = traversal.ClosestResponded(Traversal.K).Select(c => new NodeInfo(c.Id!.Value, c.EndPoint)).ToList(),
        Cancelled = cancelled,
    };
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
            ObjectDisposedException.ThrowIf(_disposed, this);
            _announcements.Add(announcement);
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
            _announcements.Remove(announcement);
        }
    }
}
