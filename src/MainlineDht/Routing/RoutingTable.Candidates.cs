using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// Unverified candidates: nodes that queried us or were named in a `nodes` reply. They wait in their
// bucket's replacement cache and enter the live table only by answering a ping (OnReply).
internal sealed partial class RoutingTable
{
    /// <summary>
    /// A node queried us. A live node at the same endpoint has its last-query time updated (which
    /// keeps a node that has answered us before good). Any other node is remembered as an unverified
    /// candidate.
    /// </summary>
    /// <remarks>
    /// Read-only nodes (BEP 43, a query with <c>ro</c> = 1) must never be passed here: the caller
    /// answers them and forgets them. A query from an id that is live at another endpoint changes
    /// nothing unless that entry is bad (anti-hijack).
    /// </remarks>
    /// <param name="id">The id the querying node gave.</param>
    /// <param name="endPoint">The endpoint the query came from.</param>
    /// <param name="now">The current time.</param>
    /// <returns>
    /// True when the caller should ping the node now to verify it: its bucket has room, or a bad or
    /// questionable node that no verified replacement or pending verification already covers. Its
    /// answer, reported through <see cref="OnReply"/>, brings it in.
    /// </returns>
    public bool OnQuery(NodeId id, IPEndPoint endPoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (!IsUsable(id, endPoint))
        {
            return false;
        }

        var address = NodeAddress.From(endPoint);
        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        if (bucket.IndexOfLive(id) is int slot and >= 0)
        {
            ref RoutingNode live = ref bucket.Live[slot];
            if (live.IsAt(address))
            {
                live.RecordQuery(now.UtcTicks);
                return false;
            }

            if (!live.IsBad(_options.MaxFailures))
            {
                return false;
            }
        }

        return RememberCandidate(id, address, endPoint.Address, now, queried: true);
    }

    /// <summary>
    /// Another node named this one in a <c>nodes</c> reply. It is remembered as an unverified
    /// candidate; it never enters the live table until it answers one of our queries.
    /// </summary>
    /// <param name="id">The id named.</param>
    /// <param name="endPoint">The endpoint named.</param>
    /// <param name="now">The current time.</param>
    /// <returns>
    /// True when the caller should ping the node now to verify it: its bucket has room or a bad node
    /// that no verified replacement or pending verification already covers. (Hearsay alone never
    /// starts the eviction of a questionable node.)
    /// </returns>
    public bool OnHeard(NodeId id, IPEndPoint endPoint, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        if (!IsUsable(id, endPoint))
        {
            return false;
        }

        var address = NodeAddress.From(endPoint);
        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        if (bucket.IndexOfLive(id) is int slot and >= 0 && (bucket.Live[slot].IsAt(address) || !bucket.Live[slot].IsBad(_options.MaxFailures)))
        {
            return false;
        }

        if (FindLive(address) is not null)
        {
            // Hearsay naming a live node's endpoint with another id: not worth a slot.
            return false;
        }

        return RememberCandidate(id, address, endPoint.Address, now, queried: false);
    }

    /// <summary>
    /// Whether <paramref name="id"/> at <paramref name="endPoint"/> has answered one of our queries
    /// and is still in the table: live, or waiting verified in its bucket's replacement cache.
    /// </summary>
    public bool IsVerified(NodeId id, IPEndPoint endPoint)
    {
        var address = NodeAddress.From(endPoint);
        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        if (bucket.IndexOfLive(id) is int slot and >= 0)
        {
            return bucket.Live[slot].IsAt(address);
        }

        return bucket.IndexOfWaiting(id) is int waiting and >= 0 && bucket.Waiting[waiting].IsVerified && bucket.Waiting[waiting].IsAt(address);
    }

    /// <summary>
    /// Hands out up to <paramref name="max"/> unverified candidates for the caller to ping, from the
    /// buckets with room or bad nodes, nearest our id first, most recently heard first. Each one is
    /// handed out once (again only if its ping is not reported back within a minute).
    /// </summary>
    /// <param name="max">The most candidates to return.</param>
    /// <param name="now">The current time.</param>
    public NodeContact[] TakeCandidatesToVerify(int max, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        List<NodeContact>? taken = null;
        for (int i = _buckets.Count - 1; i >= 0 && (taken?.Count ?? 0) < max; i--)
        {
            RoutingBucket bucket = _buckets[i];
            while ((taken?.Count ?? 0) < max && TryRequestVerification(bucket, now, countQuestionable: false) is int candidate)
            {
                (taken ??= []).Add(new NodeContact(bucket.Waiting[candidate].Id, bucket.Waiting[candidate].EndPoint));
            }
        }

        return taken?.ToArray() ?? [];
    }

    private bool RememberCandidate(NodeId id, NodeAddress address, IPAddress ip, DateTimeOffset now, bool queried)
    {
        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        int candidate = bucket.IndexOfWaiting(id);
        if (candidate < 0)
        {
            if (bucket.IndexOfWaiting(address) is int atEndPoint and >= 0)
            {
                if (bucket.Waiting[atEndPoint].IsVerified)
                {
                    // A proven node at that endpoint outranks an unproven claim.
                    return false;
                }

                RemoveWaiting(bucket, atEndPoint);
            }

            if (!MakeRoomForAddress(id, address, ip, verified: false))
            {
                return false; // IP diversity: its address or its /24 (/64) is taken
            }

            var newcomer = new RoutingNode(id, address, SecureNodeId.IsValid(id, ip), IsRestricted(ip), now.UtcTicks, RoutingNode.Never, TimeSpan.Zero);
            if (!AddWaiting(bucket, newcomer))
            {
                return false;
            }

            candidate = bucket.Waiting.Length - 1;
        }
        else
        {
            ref RoutingNode known = ref bucket.Waiting[candidate];
            if (!known.IsAt(address))
            {
                // An id waiting at one endpoint is not taken over by whoever names it at another:
                // the candidate there is verified or forgotten first (a ping proves which is real).
                return false;
            }

            if (now.UtcTicks > known.AddedOrHeard)
            {
                known.AddedOrHeard = now.UtcTicks;
            }
        }

        if (queried)
        {
            bucket.Waiting[candidate].LastQuery = now.UtcTicks;
        }

        if (bucket.Waiting[candidate].IsVerified || IsPending(bucket.Waiting[candidate].Pending, now)
            || VerificationDemand(bucket, now, countQuestionable: queried) <= 0)
        {
            return false;
        }

        bucket.Waiting[candidate].Pending = now.UtcTicks;
        return true;
    }

    /// <summary>
    /// How many more nodes the bucket could use: its free room and its bad nodes (and, when asked,
    /// its questionable ones), less the verified replacements and pending verifications that
    /// already stand ready for them.
    /// </summary>
    private int VerificationDemand(RoutingBucket bucket, DateTimeOffset now, bool countQuestionable)
    {
        int demand = _options.BucketSize - bucket.Count;
        if (demand <= 0 && ReferenceEquals(bucket, _buckets[^1]) && _buckets.Count < MaxBuckets)
        {
            // Our own bucket is full but splits when a verified node arrives: it can use a
            // bucket's worth of candidates (fewer those already pending, below).
            demand = _options.BucketSize;
        }

        long goodAfter = GoodAfterTicks(now, _options);
        foreach (ref readonly RoutingNode e in bucket.Live)
        {
            NodeState state = e.GetState(goodAfter, _options.MaxFailures);
            if (state == NodeState.Bad || (countQuestionable && state == NodeState.Questionable))
            {
                demand++;
            }
        }

        foreach (ref readonly RoutingNode r in bucket.Waiting)
        {
            if (r.IsVerified || IsPending(r.Pending, now))
            {
                demand--;
            }
        }

        return demand;
    }

    /// <summary>
    /// When the bucket has demand, marks the most recently heard unverified candidate that is not
    /// already being verified and returns its index in the replacement cache.
    /// </summary>
    private int? TryRequestVerification(RoutingBucket bucket, DateTimeOffset now, bool countQuestionable)
    {
        if (VerificationDemand(bucket, now, countQuestionable) <= 0)
        {
            return null;
        }

        int best = -1;
        Span<RoutingNode> waiting = bucket.Waiting;
        for (int i = 0; i < waiting.Length; i++)
        {
            ref readonly RoutingNode r = ref waiting[i];
            if (!r.IsVerified && !IsPending(r.Pending, now) && FindLive(r.Address) is null
                && (best < 0 || r.AddedOrHeard > waiting[best].AddedOrHeard))
            {
                best = i;
            }
        }

        if (best < 0)
        {
            return null;
        }

        waiting[best].Pending = now.UtcTicks;
        return best;
    }
}
