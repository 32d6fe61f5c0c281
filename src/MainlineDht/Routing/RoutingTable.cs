using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

// Over 400 lines on purpose: the table's core (admission, split, eviction, replies, failures,
// removal) changes the same buckets, indexes and replacement caches, and their invariants read best
// together; candidates, closest-node queries, diversity, endpoints and upkeep are in the other
// RoutingTable.*.cs files.

namespace MainlineDht.Routing;

/// <summary>
/// The Kademlia routing table of BEP 5 for one address family: up to 160 k-buckets covering the id
/// space, of which only the one holding our own id ever splits.
/// </summary>
/// <remarks>
/// <para>
/// A plain data structure: no I/O, no clock, no locks. Every method that depends on time takes
/// <c>now</c>, and the node's event loop is its only user. Calls report what the node learned
/// (<see cref="OnReply"/>, <see cref="OnFailure"/>, <see cref="OnQuery"/>, <see cref="OnHeard"/>);
/// the table answers with what, if anything, the node should ping next.
/// </para>
/// <para>
/// A node enters the live table only after it answered one of our queries. Nodes that only queried
/// us or were named in someone's reply wait as unverified candidates in their bucket's replacement
/// cache until a ping proves them.
/// </para>
/// <para>
/// Compact: every entry, live or waiting, is a <see cref="RoutingNode"/> stored inline in its bucket's
/// array (no object per entry, the endpoint inline); live ids are found by scanning their bucket, live
/// endpoints through an open-addressing index of slots (<c>RoutingTable.EndPoints.cs</c>).
/// </para>
/// </remarks>
internal sealed partial class RoutingTable
{
    /// <summary>The most buckets a table can have: one per bit of the id.</summary>
    public const int MaxBuckets = NodeId.Bits;

    /// <summary>
    /// A ping asked for and never reported back (neither reply nor failure) stops counting as
    /// pending after this long, so a lost report cannot block a bucket forever.
    /// </summary>
    internal static readonly TimeSpan PingRequestLifetime = TimeSpan.FromMinutes(1);

    private readonly List<RoutingBucket> _buckets = []; // grows to ~log2(network size / K) buckets, far below MaxBuckets
    private readonly RoutingTableOptions _options;
    private int _count;

    /// <summary>Views handed out by <see cref="TryGet"/> and <see cref="RoutingBucket.Nodes"/>, one per live id; null until the first is asked for.</summary>
    private Dictionary<NodeId, NodeEntry>? _views;

    /// <summary>The stamps the entries' times are stored as (milliseconds since the table's first time).</summary>
    internal RoutingClock Clock { get; } = new();

    /// <summary>Creates an empty table: one bucket covering the whole id space.</summary>
    /// <param name="localId">Our own node id.</param>
    /// <param name="addressFamily">The family of the endpoints this table holds (BEP 32 keeps IPv6 nodes in their own table).</param>
    /// <param name="options">The numbers that shape the table; <see cref="RoutingTableOptions.Default"/> when null.</param>
    public RoutingTable(NodeId localId, AddressFamily addressFamily = AddressFamily.InterNetwork, RoutingTableOptions? options = null)
    {
        if (addressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentOutOfRangeException(nameof(addressFamily), addressFamily, "A routing table holds IPv4 or IPv6 endpoints.");
        }

        _options = options ?? RoutingTableOptions.Default;
        _options.Validate();
        LocalId = localId;
        AddressFamily = addressFamily;

        // Never changed: due for a refresh at once (a fresh node bootstraps anyway).
        _buckets.Add(NewBucket(far: false, 0, DateTimeOffset.MinValue));
    }

    /// <summary>Our own node id; it is never added to the table. It changes only through <see cref="ChangeLocalId"/>.</summary>
    public NodeId LocalId { get; private set; }

    /// <summary>The family of the endpoints this table holds; others are ignored.</summary>
    public AddressFamily AddressFamily { get; }

    public RoutingTableOptions Options => _options;

    /// <summary>How many live nodes the table holds (of every state).</summary>
    public int Count => _count;

    /// <summary>How many buckets the table has (1 to 160).</summary>
    public int BucketCount => _buckets.Count;

    /// <summary>The buckets, from the farthest from our id (index 0) to the one holding our id (last).</summary>
    public IReadOnlyList<RoutingBucket> Buckets => _buckets;

    /// <summary>How many nodes wait in replacement caches, verified or not.</summary>
    public int ReplacementCount
    {
        get
        {
            int n = 0;
            foreach (RoutingBucket b in _buckets)
            {
                n += b.Waiting.Length;
            }

            return n;
        }
    }

    /// <summary>Whether a live node has this id.</summary>
    public bool Contains(NodeId id) => _buckets[BucketIndexOf(id)].IndexOfLive(id) >= 0;

    /// <summary>A view of the live node with this id (one view per id while it stays live).</summary>
    public bool TryGet(NodeId id, [MaybeNullWhen(false)] out NodeEntry entry)
    {
        entry = Contains(id) ? View(id) : null;
        return entry is not null;
    }

    /// <summary>The state of a live node at <paramref name="now"/>.</summary>
    public NodeState GetState(NodeEntry entry, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.GetState(now, _options);
    }

    /// <summary>The index of the bucket whose range holds <paramref name="id"/>.</summary>
    public int BucketIndexOf(NodeId id) => Math.Min(LocalId.CommonPrefixLength(id), _buckets.Count - 1);

    /// <summary>
    /// A node answered one of our queries (a reply whose transaction matched, from the endpoint we
    /// queried). This is the only way into the live table.
    /// </summary>
    /// <remarks>
    /// A live node is updated; a newcomer is added when its bucket has room, or replaces a bad node,
    /// or splits the bucket holding our id. Otherwise it waits in the replacement cache, and when
    /// the bucket has a questionable node the outcome asks the caller to ping the least recently seen
    /// one (<see cref="PingReason.Evict"/>): it is replaced if it then fails. The same id at another
    /// endpoint is refused unless the old entry is bad; the same endpoint with another id replaces the
    /// old entry (the node there restarted with a new id).
    /// </remarks>
    /// <param name="id">The id the node answered with.</param>
    /// <param name="endPoint">The endpoint the answer came from.</param>
    /// <param name="roundTripTime">How long the answer took.</param>
    /// <param name="now">The current time.</param>
    public RoutingOutcome OnReply(NodeId id, IPEndPoint endPoint, TimeSpan roundTripTime, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (!IsUsable(id, endPoint))
        {
            return RoutingOutcome.Ignored;
        }

        var address = NodeAddress.From(endPoint);
        int index = BucketIndexOf(id);
        RoutingBucket home = _buckets[index];
        int slot = home.IndexOfLive(id);
        if (slot >= 0)
        {
            ref RoutingNode existing = ref home.Live[slot];
            if (existing.IsAt(address))
            {
                bool wasPending = existing.Pending != RoutingNode.Never;
                existing.RecordReply(roundTripTime, Clock.Stamp(now));
                home.LastChanged = now;

                // It survived its eviction ping: the waiting replacement may try the next questionable node.
                return wasPending && TryRequestEvictionPing(home, now) is int next
                    ? RoutingOutcome.PingToEvict(RoutingResult.Updated, home.Live[next])
                    : RoutingOutcome.Of(RoutingResult.Updated);
            }

            if (!existing.IsBad(_options.MaxFailures))
            {
                // Anti-hijack: a working entry is not moved by whoever claims its id elsewhere.
                return RoutingOutcome.Rejected;
            }

            RemoveLive(index, slot);
        }

        NodeId? displaced = null;
        if (FindLive(address) is (int b, int s))
        {
            // The endpoint answered with a new id: the old id no longer lives there.
            displaced = _buckets[b].Live[s].Id;
            RemoveLive(b, s);
        }

        if (!MakeRoomForAddress(id, address, endPoint.Address, verified: true))
        {
            // Its address is another node's, or its /24 (/64) already has a node in the bucket.
            return RoutingOutcome.Crowded;
        }

        int bucketsBefore = _buckets.Count;
        RoutingOutcome outcome = Insert(id, address, endPoint.Address, roundTripTime, now);

        // Fill what the displaced entry or a split left empty, after the newcomer had its chance.
        if (displaced is { } gone)
        {
            Fill(_buckets[BucketIndexOf(gone)], now);
        }

        if (_buckets.Count > bucketsBefore)
        {
            for (int i = bucketsBefore - 1; i < _buckets.Count; i++)
            {
                Fill(_buckets[i], now);
            }
        }

        return outcome;
    }

    /// <summary>
    /// A query we sent to this node ended without an answer (after the RPC layer's retries): one
    /// failure. A node pinged for eviction is replaced by the best verified replacement, as is a node
    /// that has become bad; otherwise the outcome may name a candidate to verify.
    /// </summary>
    /// <param name="id">The id of the node we queried.</param>
    /// <param name="endPoint">The endpoint we queried.</param>
    /// <param name="now">The current time.</param>
    public RoutingOutcome OnFailure(NodeId id, IPEndPoint endPoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (!IsUsable(id, endPoint))
        {
            return RoutingOutcome.Ignored;
        }

        var address = NodeAddress.From(endPoint);
        int index = BucketIndexOf(id);
        RoutingBucket bucket = _buckets[index];
        int slot = bucket.IndexOfLive(id);
        if (slot < 0 || !bucket.Live[slot].IsAt(address))
        {
            // A candidate that failed its verification (or a replacement that went away) is forgotten.
            int waiting = bucket.IndexOfWaiting(id);
            if (waiting >= 0 && bucket.Waiting[waiting].IsAt(address))
            {
                RemoveWaiting(bucket, waiting);
                return RoutingOutcome.Of(RoutingResult.Removed);
            }

            return RoutingOutcome.Ignored;
        }

        ref RoutingNode entry = ref bucket.Live[slot];
        bool wasPinged = entry.Pending != RoutingNode.Never;
        entry.RecordFailure();
        bool bad = entry.IsBad(_options.MaxFailures);
        if (!wasPinged && !bad)
        {
            return RoutingOutcome.Of(RoutingResult.FailureCounted);
        }

        if (TakeBestVerifiedReplacement(bucket) is { } replacement)
        {
            RemoveLive(index, slot);
            AddLive(index, Promote(replacement, now), now);
            return RoutingOutcome.Of(RoutingResult.Removed);
        }

        // Nobody proven is waiting: ask for a candidate to be verified, so it can take the place.
        return TryRequestVerification(bucket, now, countQuestionable: !bad) is int candidate
            ? RoutingOutcome.PingToVerify(RoutingResult.FailureCounted, bucket.Waiting[candidate])
            : RoutingOutcome.Of(RoutingResult.FailureCounted);
    }

    /// <summary>Removes a live node (and any waiting entry with its id); a verified replacement takes its place.</summary>
    /// <returns>Whether the id was known.</returns>
    public bool Remove(NodeId id, DateTimeOffset now)
    {
        int index = BucketIndexOf(id);
        RoutingBucket bucket = _buckets[index];
        bool removed = false;
        if (bucket.IndexOfWaiting(id) is int waiting and >= 0)
        {
            RemoveWaiting(bucket, waiting);
            removed = true;
        }

        if (bucket.IndexOfLive(id) is int slot and >= 0)
        {
            RemoveLive(index, slot);
            Fill(bucket, now);
            removed = true;
        }

        return removed;
    }

    private RoutingOutcome Insert(NodeId id, NodeAddress address, IPAddress ip, TimeSpan roundTripTime, DateTimeOffset now)
    {
        while (true)
        {
            int index = BucketIndexOf(id);
            RoutingBucket bucket = _buckets[index];
            int waiting = bucket.IndexOfWaiting(id);
            int bad = bucket.IsFull ? WorstBad(bucket) : -1;
            if (!bucket.IsFull || bad >= 0)
            {
                if (bad >= 0)
                {
                    RemoveLive(index, bad);
                }

                long queried = RoutingNode.Never;
                if (waiting >= 0)
                {
                    queried = bucket.Waiting[waiting].LastQuery;
                    RemoveWaiting(bucket, waiting);
                }

                if (bucket.IndexOfWaiting(address) is int stale and >= 0)
                {
                    RemoveWaiting(bucket, stale);
                }

                var entry = new RoutingNode(id, address, SecureNodeId.IsValid(id, ip), IsRestricted(ip), Clock.Stamp(now), Clock.Stamp(now), roundTripTime);
                entry.RecordQuery(queried);
                AddLive(index, entry, now);
                return RoutingOutcome.Of(RoutingResult.Added);
            }

            if (index == _buckets.Count - 1 && _buckets.Count < MaxBuckets && MaySplitFor(id, ip, bucket))
            {
                Split(now);
                continue;
            }

            // Full of good or questionable nodes: the newcomer waits, proven. Whatever else waits
            // under its endpoint is stale: the endpoint just answered with this id.
            if (bucket.IndexOfWaiting(address) is int staleWaiting and >= 0 && staleWaiting != waiting)
            {
                RemoveWaiting(bucket, staleWaiting);
                waiting = bucket.IndexOfWaiting(id);
            }

            if (waiting < 0)
            {
                var newcomer = new RoutingNode(id, address, SecureNodeId.IsValid(id, ip), IsRestricted(ip), Clock.Stamp(now), RoutingNode.Never, roundTripTime);
                MarkVerified(ref newcomer, roundTripTime, now);
                if (!AddWaiting(bucket, newcomer))
                {
                    return RoutingOutcome.Ignored;
                }
            }
            else
            {
                ref RoutingNode known = ref bucket.Waiting[waiting];
                if (!known.IsAt(address))
                {
                    MoveWaiting(ref known, address, ip);
                }

                MarkVerified(ref known, roundTripTime, now);
            }

            return TryRequestEvictionPing(bucket, now) is int victim
                ? RoutingOutcome.PingToEvict(RoutingResult.Cached, bucket.Live[victim])
                : RoutingOutcome.Of(RoutingResult.Cached);
        }
    }

    private void MarkVerified(ref RoutingNode entry, TimeSpan roundTripTime, DateTimeOffset now)
    {
        entry.RoundTripTime = entry.IsVerified ? entry.RoundTripTime + ((roundTripTime - entry.RoundTripTime) / 8) : roundTripTime;
        entry.LastReply = Clock.Stamp(now);
        entry.AddedOrHeard = Clock.Stamp(now);
        entry.Pending = RoutingNode.Never;
    }

    /// <summary>
    /// Splits the last bucket (the one holding our id) in two: the ids that differ from ours at the
    /// next bit go to a new far bucket, the rest to a new last bucket.
    /// </summary>
    private void Split(DateTimeOffset now)
    {
        int last = _buckets.Count - 1;
        RoutingBucket old = _buckets[last];
        RoutingBucket far = NewBucket(far: true, last + 1, now);
        RoutingBucket near = NewBucket(far: false, last + 1, now);
        bool ours = LocalId.GetBit(last);
        _buckets[last] = far;
        _buckets.Add(near);
        Span<RoutingNode> live = old.Live;
        for (int i = 0; i < live.Length; i++)
        {
            bool isNear = live[i].Id.GetBit(last) == ours;
            int slot = (isNear ? near : far).AddLive(live[i]);
            ReindexEndPoint(live[i].Address, Location(last, i), Location(isNear ? last + 1 : last, slot));
        }

        foreach (ref readonly RoutingNode r in old.Waiting)
        {
            (r.Id.GetBit(last) == ours ? near : far).AddWaitingUnchecked(r);
        }
    }

    private RoutingBucket NewBucket(bool far, int prefixLength, DateTimeOffset lastChanged) =>
        new(this, far, prefixLength, lastChanged);

    private bool IsUsable(NodeId id, IPEndPoint endPoint) =>
        id != LocalId
        && endPoint.AddressFamily == AddressFamily
        && endPoint.Port != 0
        && !endPoint.Address.Equals(IPAddress.Any)
        && !endPoint.Address.Equals(IPAddress.IPv6Any)
        && (!_options.EnforceNodeIds || SecureNodeId.IsValid(id, endPoint.Address));

    private void AddLive(int index, in RoutingNode entry, DateTimeOffset now)
    {
        RoutingBucket bucket = _buckets[index];
        int slot = bucket.AddLive(entry);
        _count++;
        IndexEndPoint(entry.Address, Location(index, slot));
        IndexAddress(entry, live: true);
        bucket.LastChanged = now;
    }

    private void RemoveLive(int index, int slot)
    {
        RoutingBucket bucket = _buckets[index];
        UnindexEndPoint(bucket.Live[slot].Address, Location(index, slot));
        RoutingNode entry = bucket.RemoveLiveAt(slot);
        _count--;
        for (int i = slot; i < bucket.Count; i++)
        {
            ReindexEndPoint(bucket.Live[i].Address, Location(index, i + 1), Location(index, i));
        }

        UnindexAddress(entry, live: true);
        if (_views is not null && _views.Remove(entry.Id, out NodeEntry? view))
        {
            view.Detach(entry);
        }
    }

    /// <summary>Moves verified replacements into the live table while the bucket has room.</summary>
    private void Fill(RoutingBucket bucket, DateTimeOffset now)
    {
        while (!bucket.IsFull && TakeBestVerifiedReplacement(bucket) is { } replacement)
        {
            AddLive(_buckets.IndexOf(bucket), Promote(replacement, now), now);
        }
    }

    private RoutingNode Promote(RoutingNode replacement, DateTimeOffset now)
    {
        // Added now; it keeps its last reply, last query and round trip; a pending verification ends.
        replacement.AddedOrHeard = Clock.Stamp(now);
        replacement.Pending = RoutingNode.Never;
        return replacement;
    }

    /// <summary>
    /// Removes and returns the verified replacement that answered most recently. Replacements whose
    /// endpoint has meanwhile become a live node's are dropped on the way.
    /// </summary>
    private RoutingNode? TakeBestVerifiedReplacement(RoutingBucket bucket)
    {
        while (true)
        {
            int best = -1;
            Span<RoutingNode> waiting = bucket.Waiting;
            for (int i = 0; i < waiting.Length; i++)
            {
                if (waiting[i].IsVerified && (best < 0 || waiting[i].LastReply > waiting[best].LastReply))
                {
                    best = i;
                }
            }

            if (best < 0)
            {
                return null;
            }

            RoutingNode taken = waiting[best];
            RemoveWaiting(bucket, best);
            if (FindLive(taken.Address) is null && !Contains(taken.Id))
            {
                return taken;
            }
        }
    }

    /// <summary>The bad node to replace first: most failures, then longest silent; -1 if none.</summary>
    private int WorstBad(RoutingBucket bucket)
    {
        int worst = -1;
        Span<RoutingNode> live = bucket.Live;
        for (int i = 0; i < live.Length; i++)
        {
            ref readonly RoutingNode e = ref live[i];
            if (e.IsBad(_options.MaxFailures)
                && (worst < 0 || e.FailureCount > live[worst].FailureCount
                    || (e.FailureCount == live[worst].FailureCount && e.LastSeen < live[worst].LastSeen)))
            {
                worst = i;
            }
        }

        return worst;
    }

    /// <summary>
    /// When verified replacements outnumber the eviction pings in flight, marks the least recently
    /// seen questionable node not yet pinged and returns its slot.
    /// </summary>
    private int? TryRequestEvictionPing(RoutingBucket bucket, DateTimeOffset now)
    {
        int verified = 0;
        foreach (ref readonly RoutingNode r in bucket.Waiting)
        {
            verified += r.IsVerified ? 1 : 0;
        }

        long goodAfter = Clock.GoodAfter(now, _options);
        int pending = 0;
        int victim = -1;
        Span<RoutingNode> live = bucket.Live;
        for (int i = 0; i < live.Length; i++)
        {
            ref readonly RoutingNode e = ref live[i];
            if (IsPending(e.Pending, Clock.Stamp(now)))
            {
                pending++;
            }
            else if (e.GetState(goodAfter, _options.MaxFailures) == NodeState.Questionable && (victim < 0 || e.LastSeen < live[victim].LastSeen))
            {
                victim = i;
            }
        }

        if (victim < 0 || verified <= pending)
        {
            return null;
        }

        live[victim].Pending = Clock.Stamp(now);
        return victim;
    }

    private static bool IsPending(long requested, long now) =>
        requested != RoutingNode.Never && now - requested < PingRequestLifetime.Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>A view of the live node with this id; the caller checked it is live.</summary>
    internal NodeEntry View(NodeId id)
    {
        _views ??= [];
        if (!_views.TryGetValue(id, out NodeEntry? view))
        {
            view = new NodeEntry(this, LiveRef(id));
            _views[id] = view;
        }

        return view;
    }

    /// <summary>The stored live node with this id (for views).</summary>
    internal ref RoutingNode LiveRef(NodeId id)
    {
        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        int slot = bucket.IndexOfLive(id);
        if (slot < 0)
        {
            throw new InvalidOperationException($"{id} is not live in the table.");
        }

        return ref bucket.Live[slot];
    }
}
