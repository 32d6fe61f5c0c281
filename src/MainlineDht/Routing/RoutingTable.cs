using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using MainlineDht.Protocol;

// Over 400 lines on purpose: insertion, reply, failure and removal change the same buckets, indexes and
// replacement caches, and their invariants read best together; lookup, candidates and upkeep are in partial files.

// Over 400 lines on purpose: the table's core (admission, split, eviction, replies, failures) is one
// topic; candidates, closest-node queries and refresh are in the other RoutingTable.*.cs files.

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
/// The table keeps the <see cref="IPEndPoint"/> instances it is given; callers must not change them afterwards.
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
    private readonly Dictionary<NodeId, NodeEntry> _byId = [];
    private readonly Dictionary<IPEndPoint, NodeEntry> _byEndPoint = [];
    private readonly RoutingTableOptions _options;

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
        _scratch = new NodeEntry[_options.BucketSize];
        _scratchDistances = new NodeId[_options.BucketSize];

        // Never changed: due for a refresh at once (a fresh node bootstraps anyway).
        _buckets.Add(NewBucket(localId, 0, DateTimeOffset.MinValue));
    }

    /// <summary>Our own node id; it is never added to the table. It changes only through <see cref="ChangeLocalId"/>.</summary>
    public NodeId LocalId { get; private set; }

    /// <summary>The family of the endpoints this table holds; others are ignored.</summary>
    public AddressFamily AddressFamily { get; }

    public RoutingTableOptions Options => _options;

    /// <summary>How many live nodes the table holds (of every state).</summary>
    public int Count => _byId.Count;

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
                n += b.Replacements.Length;
            }

            return n;
        }
    }

    /// <summary>Whether a live node has this id.</summary>
    public bool Contains(NodeId id) => _byId.ContainsKey(id);

    /// <summary>Finds the live node with this id.</summary>
    public bool TryGet(NodeId id, [MaybeNullWhen(false)] out NodeEntry entry) => _byId.TryGetValue(id, out entry);

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

        if (_byId.TryGetValue(id, out NodeEntry? existing))
        {
            if (existing.EndPoint.Equals(endPoint))
            {
                RoutingBucket bucket = _buckets[BucketIndexOf(id)];
                bool wasPending = existing.EvictionPingRequested is not null;
                existing.RecordReply(roundTripTime, now);
                bucket.LastChanged = now;

                // It survived its eviction ping: the waiting replacement may try the next questionable node.
                return wasPending && TryRequestEvictionPing(bucket, now) is { } next
                    ? RoutingOutcome.PingToEvict(RoutingResult.Updated, next)
                    : RoutingOutcome.Of(RoutingResult.Updated);
            }

            if (!existing.IsBad(_options))
            {
                // Anti-hijack: a working entry is not moved by whoever claims its id elsewhere.
                return RoutingOutcome.Rejected;
            }

            RemoveLive(existing);
        }

        NodeEntry? displaced = null;
        if (_byEndPoint.TryGetValue(endPoint, out displaced))
        {
            // The endpoint answered with a new id: the old id no longer lives there.
            RemoveLive(displaced);
        }

        if (!MakeRoomForAddress(id, endPoint, verified: true))
        {
            // Its address is another node's, or its /24 (/64) already has a node in the bucket.
            return RoutingOutcome.Crowded;
        }

        int bucketsBefore = _buckets.Count;
        RoutingOutcome outcome = Insert(id, endPoint, roundTripTime, now);

        // Fill what the displaced entry or a split left empty, after the newcomer had its chance.
        if (displaced is not null)
        {
            Fill(_buckets[BucketIndexOf(displaced.Id)], now);
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

        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        if (!_byId.TryGetValue(id, out NodeEntry? entry) || !entry.EndPoint.Equals(endPoint))
        {
            // A candidate that failed its verification (or a replacement that went away) is forgotten.
            ReplacementEntry? waiting = bucket.FindReplacement(id);
            if (waiting is not null && waiting.EndPoint.Equals(endPoint))
            {
                RemoveReplacement(bucket, waiting);
                return RoutingOutcome.Of(RoutingResult.Removed);
            }

            return RoutingOutcome.Ignored;
        }

        bool wasPinged = entry.EvictionPingRequested is not null;
        entry.RecordFailure();
        bool bad = entry.IsBad(_options);
        if (!wasPinged && !bad)
        {
            return RoutingOutcome.Of(RoutingResult.FailureCounted);
        }

        if (TakeBestVerifiedReplacement(bucket) is { } replacement)
        {
            RemoveLive(entry);
            AddLive(bucket, Promote(replacement, now), now);
            return RoutingOutcome.Of(RoutingResult.Removed);
        }

        // Nobody proven is waiting: ask for a candidate to be verified, so it can take the place.
        return TryRequestVerification(bucket, now, countQuestionable: !bad) is { } candidate
            ? RoutingOutcome.PingToVerify(RoutingResult.FailureCounted, candidate)
            : RoutingOutcome.Of(RoutingResult.FailureCounted);
    }

    /// <summary>Removes a live node (and any waiting entry with its id); a verified replacement takes its place.</summary>
    /// <returns>Whether the id was known.</returns>
    public bool Remove(NodeId id, DateTimeOffset now)
    {
        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        bool removed = false;
        if (bucket.FindReplacement(id) is { } waiting)
        {
            RemoveReplacement(bucket, waiting);
            removed = true;
        }

        if (_byId.TryGetValue(id, out NodeEntry? entry))
        {
            RemoveLive(entry);
            Fill(bucket, now);
            removed = true;
        }

        return removed;
    }

    private RoutingOutcome Insert(NodeId id, IPEndPoint endPoint, TimeSpan roundTripTime, DateTimeOffset now)
    {
        while (true)
        {
            int index = BucketIndexOf(id);
            RoutingBucket bucket = _buckets[index];
            ReplacementEntry? waiting = bucket.FindReplacement(id);
            NodeEntry? bad = bucket.IsFull ? WorstBad(bucket) : null;
            if (!bucket.IsFull || bad is not null)
            {
                if (bad is not null)
                {
                    RemoveLive(bad);
                }

                if (waiting is not null)
                {
                    RemoveReplacement(bucket, waiting);
                }

                if (bucket.FindReplacement(endPoint) is { } stale)
                {
                    RemoveReplacement(bucket, stale);
                }

                NodeEntry entry = new(id, endPoint, now, now, roundTripTime);
                if (waiting?.LastQuery is { } queried)
                {
                    entry.RecordQuery(queried);
                }

                AddLive(bucket, entry, now);
                return RoutingOutcome.Of(RoutingResult.Added);
            }

            if (index == _buckets.Count - 1 && _buckets.Count < MaxBuckets && MaySplitFor(id, endPoint, bucket))
            {
                Split(now);
                continue;
            }

            // Full of good or questionable nodes: the newcomer waits, proven. Whatever else waits
            // under its endpoint is stale: the endpoint just answered with this id.
            if (bucket.FindReplacement(endPoint) is { } staleWaiting && !ReferenceEquals(staleWaiting, waiting))
            {
                RemoveReplacement(bucket, staleWaiting);
            }

            if (waiting is null)
            {
                waiting = new ReplacementEntry(id, endPoint, now);
                if (!AddReplacement(bucket, MarkVerified(waiting, roundTripTime, now)))
                {
                    return RoutingOutcome.Ignored;
                }
            }
            else
            {
                if (!waiting.EndPoint.Equals(endPoint))
                {
                    MoveReplacement(waiting, endPoint);
                }

                MarkVerified(waiting, roundTripTime, now);
            }

            return TryRequestEvictionPing(bucket, now) is { } victim
                ? RoutingOutcome.PingToEvict(RoutingResult.Cached, victim)
                : RoutingOutcome.Of(RoutingResult.Cached);
        }
    }

    private static ReplacementEntry MarkVerified(ReplacementEntry entry, TimeSpan roundTripTime, DateTimeOffset now)
    {
        entry.RoundTripTime = entry.IsVerified ? entry.RoundTripTime + ((roundTripTime - entry.RoundTripTime) / 8) : roundTripTime;
        entry.LastReply = now;
        entry.LastHeard = now;
        entry.VerificationRequested = null;
        return entry;
    }

    /// <summary>
    /// Splits the last bucket (the one holding our id) in two: the ids that differ from ours at the
    /// next bit go to a new far bucket, the rest to a new last bucket.
    /// </summary>
    private void Split(DateTimeOffset now)
    {
        int last = _buckets.Count - 1;
        RoutingBucket old = _buckets[last];
        NodeId bit = NodeId.PrefixMask(last + 1) ^ NodeId.PrefixMask(last);
        RoutingBucket far = NewBucket(LocalId ^ bit, last + 1, now);
        RoutingBucket near = NewBucket(LocalId, last + 1, now);
        bool ours = LocalId.GetBit(last);
        foreach (NodeEntry e in old.Nodes)
        {
            (e.Id.GetBit(last) == ours ? near : far).AddNode(e);
        }

        foreach (ReplacementEntry r in old.Replacements)
        {
            (r.Id.GetBit(last) == ours ? near : far).AddReplacementUnchecked(r);
        }

        _buckets[last] = far;
        _buckets.Add(near);
    }

    private RoutingBucket NewBucket(NodeId prefix, int prefixLength, DateTimeOffset lastChanged) =>
        new(prefix, prefixLength, _options.BucketSize, _options.ReplacementCacheSize, lastChanged);

    private bool IsUsable(NodeId id, IPEndPoint endPoint) =>
        id != LocalId
        && endPoint.AddressFamily == AddressFamily
        && endPoint.Port != 0
        && !endPoint.Address.Equals(IPAddress.Any)
        && !endPoint.Address.Equals(IPAddress.IPv6Any)
        && (!_options.EnforceNodeIds || SecureNodeId.IsValid(id, endPoint.Address));

    private void AddLive(RoutingBucket bucket, NodeEntry entry, DateTimeOffset now)
    {
        bucket.AddNode(entry);
        _byId[entry.Id] = entry;
        _byEndPoint[entry.EndPoint] = entry;
        IndexAddress(entry.EndPoint, entry);
        bucket.LastChanged = now;
    }

    private void RemoveLive(NodeEntry entry)
    {
        _buckets[BucketIndexOf(entry.Id)].RemoveNode(entry);
        _byId.Remove(entry.Id);
        if (_byEndPoint.TryGetValue(entry.EndPoint, out NodeEntry? atEndPoint) && ReferenceEquals(atEndPoint, entry))
        {
            _byEndPoint.Remove(entry.EndPoint);
        }

        UnindexAddress(entry.EndPoint, entry);
    }

    /// <summary>Moves verified replacements into the live table while the bucket has room.</summary>
    private void Fill(RoutingBucket bucket, DateTimeOffset now)
    {
        while (!bucket.IsFull && TakeBestVerifiedReplacement(bucket) is { } replacement)
        {
            AddLive(bucket, Promote(replacement, now), now);
        }
    }

    private NodeEntry Promote(ReplacementEntry replacement, DateTimeOffset now)
    {
        NodeEntry entry = new(replacement.Id, replacement.EndPoint, now, replacement.LastReply!.Value, replacement.RoundTripTime);
        if (replacement.LastQuery is { } queried)
        {
            entry.RecordQuery(queried);
        }

        return entry;
    }

    /// <summary>
    /// Removes and returns the verified replacement that answered most recently. Replacements whose
    /// endpoint has meanwhile become a live node's are dropped on the way.
    /// </summary>
    private ReplacementEntry? TakeBestVerifiedReplacement(RoutingBucket bucket)
    {
        while (true)
        {
            ReplacementEntry? best = null;
            foreach (ReplacementEntry r in bucket.Replacements)
            {
                if (r.IsVerified && (best is null || r.LastReply > best.LastReply))
                {
                    best = r;
                }
            }

            if (best is null)
            {
                return null;
            }

            RemoveReplacement(bucket, best);
            if (!_byEndPoint.ContainsKey(best.EndPoint) && !_byId.ContainsKey(best.Id))
            {
                return best;
            }
        }
    }

    /// <summary>The bad node to replace first: most failures, then longest silent.</summary>
    private NodeEntry? WorstBad(RoutingBucket bucket)
    {
        NodeEntry? worst = null;
        foreach (NodeEntry e in bucket.Nodes)
        {
            if (e.IsBad(_options)
                && (worst is null || e.FailureCount > worst.FailureCount
                    || (e.FailureCount == worst.FailureCount && e.LastSeen < worst.LastSeen)))
            {
                worst = e;
            }
        }

        return worst;
    }

    /// <summary>
    /// When verified replacements outnumber the eviction pings in flight, marks the least recently
    /// seen questionable node not yet pinged and returns it.
    /// </summary>
    private NodeEntry? TryRequestEvictionPing(RoutingBucket bucket, DateTimeOffset now)
    {
        int verified = 0;
        foreach (ReplacementEntry r in bucket.Replacements)
        {
            verified += r.IsVerified ? 1 : 0;
        }

        int pending = 0;
        NodeEntry? victim = null;
        foreach (NodeEntry e in bucket.Nodes)
        {
            if (IsPending(e.EvictionPingRequested, now))
            {
                pending++;
            }
            else if (e.GetState(now, _options) == NodeState.Questionable && (victim is null || e.LastSeen < victim.LastSeen))
            {
                victim = e;
            }
        }

        if (victim is null || verified <= pending)
        {
            return null;
        }

        victim.EvictionPingRequested = now;
        return victim;
    }

    private static bool IsPending(DateTimeOffset? requested, DateTimeOffset now) =>
        requested is { } at && now - at < PingRequestLifetime;
}
