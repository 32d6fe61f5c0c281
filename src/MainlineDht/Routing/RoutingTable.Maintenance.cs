using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// Refresh and inspection.
internal sealed partial class RoutingTable
{
    /// <summary>
    /// The targets of the bucket refreshes now due: for each bucket unchanged for
    /// <see cref="RoutingTableOptions.BucketRefreshInterval"/>, a random id in its range (the node
    /// runs a find_node for it). Handing out a refresh counts as a change of the bucket, so the same
    /// bucket is not handed out again before another interval has passed.
    /// </summary>
    /// <param name="now">The current time.</param>
    /// <param name="random">The source of the random ids (injected, never shared between nodes).</param>
    public IReadOnlyList<NodeId> GetBucketsNeedingRefresh(DateTimeOffset now, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        List<NodeId>? targets = null;
        foreach (RoutingBucket bucket in _buckets)
        {
            if (now - bucket.LastChanged >= _options.BucketRefreshInterval)
            {
                (targets ??= []).Add(NodeId.CreateRandomInRange(bucket.Prefix, bucket.PrefixLength, random));
                bucket.LastChanged = now;
            }
        }

        return targets ?? (IReadOnlyList<NodeId>)[];
    }

    /// <summary>
    /// The ids of the good live nodes with no failure outstanding at distance
    /// <paramref name="depth"/> from our id (sharing its first <paramref name="depth"/> bits, not the
    /// next): what a refresh of that distance already has.
    /// </summary>
    public List<NodeId> GoodIdsAt(int depth, DateTimeOffset now)
    {
        var ids = new List<NodeId>(_options.BucketSize);
        long goodAfter = Clock.GoodAfter(now, _options);
        foreach (ref readonly RoutingNode e in _buckets[Math.Min(depth, _buckets.Count - 1)].Live)
        {
            if (e.FailureCount == 0 && e.GetState(goodAfter, _options.MaxFailures) == NodeState.Good && LocalId.CommonPrefixLength(e.Id) == depth)
            {
                ids.Add(e.Id);
            }
        }

        return ids;
    }

    /// <summary>
    /// The distance (common prefix length with our id) of the farthest of the K good nodes closest
    /// to us, or null while the table has fewer than K good nodes. Every node closer to us than that
    /// would be among those K: after a lookup of our own id, the buckets deeper than this distance
    /// hold all the network has there, and refreshing them finds nothing new.
    /// </summary>
    public int? NeighbourhoodDepth(DateTimeOffset now)
    {
        Span<RoutingNode> closest = _options.BucketSize <= 64 ? stackalloc RoutingNode[_options.BucketSize] : new RoutingNode[_options.BucketSize];
        int found = FindClosest(LocalId, closest, includeQuestionable: false, now);
        if (found < closest.Length)
        {
            return null;
        }

        int depth = NodeId.Bits;
        foreach (ref readonly RoutingNode e in closest)
        {
            depth = Math.Min(depth, LocalId.CommonPrefixLength(e.Id));
        }

        return depth;
    }

    /// <summary>How many live nodes are good at <paramref name="now"/> (answered within 15 minutes, or answered ever and queried us within 15 minutes).</summary>
    public int CountGood(DateTimeOffset now)
    {
        long goodAfter = Clock.GoodAfter(now, _options);
        int good = 0;
        foreach (RoutingBucket bucket in _buckets)
        {
            foreach (ref readonly RoutingNode e in bucket.Live)
            {
                good += e.GetState(goodAfter, _options.MaxFailures) == NodeState.Good ? 1 : 0;
            }
        }

        return good;
    }

    /// <summary>Upkeep: every bucket gives back the room it does not use (<see cref="RoutingBucket.TrimExcess"/>).</summary>
    public void TrimExcess()
    {
        foreach (RoutingBucket bucket in _buckets)
        {
            bucket.TrimExcess();
        }
    }

    /// <summary>Every live node as it stands at <paramref name="now"/>, bucket by bucket from the farthest.</summary>
    public RoutingTableEntry[] Snapshot(DateTimeOffset now)
    {
        RoutingTableEntry[] entries = new RoutingTableEntry[_count];
        long goodAfter = Clock.GoodAfter(now, _options);
        int k = 0;
        foreach (RoutingBucket bucket in _buckets)
        {
            foreach (ref readonly RoutingNode e in bucket.Live)
            {
                entries[k++] = e.ToSnapshot(goodAfter, _options.MaxFailures, Clock);
            }
        }

        return entries;
    }
}
