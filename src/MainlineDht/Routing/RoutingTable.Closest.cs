using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// FindClosest without sorting the table: buckets are disjoint prefix ranges, so the XOR distances
// from a target to the nodes of one bucket form one interval, and the intervals of different buckets
// never overlap. Visiting buckets in the order of their intervals and sorting only inside a bucket
// (at most K nodes) yields the exact closest nodes, and the walk stops as soon as enough are found.
internal sealed partial class RoutingTable
{
    /// <summary>
    /// Writes the live nodes closest to <paramref name="target"/> into <paramref name="destination"/>,
    /// closest first (XOR distance), as many as fit. Bad nodes are never returned; questionable ones
    /// only when <paramref name="includeQuestionable"/> is true. Allocates nothing.
    /// </summary>
    /// <returns>How many entries were written.</returns>
    public int FindClosest(NodeId target, Span<RoutingNode> destination, bool includeQuestionable, DateTimeOffset now) =>
        Collect(target, destination, includeQuestionable ? Eligible.Live : Eligible.Good, now);

    /// <summary>As <see cref="FindClosest(NodeId, Span{RoutingNode}, bool, DateTimeOffset)"/>, as views (tests and diagnostics; allocates nothing once the views exist).</summary>
    public int FindClosest(NodeId target, Span<NodeEntry> destination, bool includeQuestionable, DateTimeOffset now)
    {
        Span<RoutingNode> found = destination.Length <= 64 ? stackalloc RoutingNode[destination.Length] : new RoutingNode[destination.Length];
        int written = FindClosest(target, found, includeQuestionable, now);
        return Views(found[..written], destination);
    }

    /// <summary>
    /// Writes the nodes to hand out in our replies (<c>nodes</c> / <c>nodes6</c>) into
    /// <paramref name="destination"/>: the closest to <paramref name="target"/> among the nodes that
    /// answered recently (BEP 5's good nodes), then, only when there are not enough of those, the
    /// closest questionable ones; never a node whose last query failed or that is pending an eviction
    /// ping, since a querier would spend its timeouts on it. All closest first. Allocates nothing.
    /// </summary>
    /// <remarks>
    /// Lookups of our own start from <see cref="FindClosest(NodeId, Span{RoutingNode}, bool, DateTimeOffset)"/>
    /// instead: there a doubtful node costs only one of our timeouts and may prove itself alive.
    /// </remarks>
    /// <returns>How many entries were written.</returns>
    public int FindClosestToShare(NodeId target, Span<RoutingNode> destination, DateTimeOffset now)
    {
        int good = Collect(target, destination, Eligible.Shareable, now);
        if (good == destination.Length || good == _count)
        {
            return good;
        }

        int more = Collect(target, destination[good..], Eligible.ShareableQuestionable, now);
        int written = good + more;

        // Both runs are sorted: insert the questionable ones among the good ones (at most K each).
        for (int i = good; i < written; i++)
        {
            RoutingNode e = destination[i];
            NodeId distance = e.Id ^ target;
            int j = i;
            while (j > 0 && (destination[j - 1].Id ^ target) > distance)
            {
                destination[j] = destination[j - 1];
                j--;
            }

            destination[j] = e;
        }

        return written;
    }

    /// <summary>As <see cref="FindClosestToShare(NodeId, Span{RoutingNode}, DateTimeOffset)"/>, as views (tests and diagnostics).</summary>
    public int FindClosestToShare(NodeId target, Span<NodeEntry> destination, DateTimeOffset now)
    {
        Span<RoutingNode> found = destination.Length <= 64 ? stackalloc RoutingNode[destination.Length] : new RoutingNode[destination.Length];
        int written = FindClosestToShare(target, found, now);
        return Views(found[..written], destination);
    }

    private int Views(ReadOnlySpan<RoutingNode> nodes, Span<NodeEntry> destination)
    {
        for (int i = 0; i < nodes.Length; i++)
        {
            destination[i] = View(nodes[i].Id);
        }

        return nodes.Length;
    }

    /// <summary>Which live nodes a search returns.</summary>
    private enum Eligible
    {
        /// <summary>Good nodes (failures below the bad threshold included).</summary>
        Good,

        /// <summary>Good and questionable nodes: everything but bad ones.</summary>
        Live,

        /// <summary>Good nodes with no failure outstanding and no eviction ping pending.</summary>
        Shareable,

        /// <summary>Questionable nodes with no failure outstanding and no eviction ping pending.</summary>
        ShareableQuestionable,
    }

    private static bool IsEligible(in RoutingNode e, Eligible eligible, long goodAfter, int maxFailures, DateTimeOffset now)
    {
        NodeState state = e.GetState(goodAfter, maxFailures);
        return eligible switch
        {
            Eligible.Good => state == NodeState.Good,
            Eligible.Live => state != NodeState.Bad,
            Eligible.Shareable => state == NodeState.Good && e.FailureCount == 0 && !IsPending(e.Pending, now),
            _ => state == NodeState.Questionable && e.FailureCount == 0 && !IsPending(e.Pending, now),
        };
    }

    private int Collect(NodeId target, Span<RoutingNode> destination, Eligible eligible, DateTimeOffset now)
    {
        if (destination.IsEmpty || _count == 0)
        {
            return 0;
        }

        long goodAfter = GoodAfterTicks(now, _options);
        int maxFailures = _options.MaxFailures;
        int written = 0;
        Span<int> order = stackalloc int[_options.BucketSize];
        var buckets = new BucketOrder(LocalId, target, _buckets.Count);
        while (buckets.MoveNext())
        {
            Span<RoutingNode> live = _buckets[buckets.Current].Live;
            int found = 0;
            for (int i = 0; i < live.Length; i++)
            {
                if (!IsEligible(live[i], eligible, goodAfter, maxFailures, now))
                {
                    continue;
                }

                // Insertion sort by distance: a bucket holds at most K nodes.
                NodeId distance = live[i].Id ^ target;
                int j = found++;
                while (j > 0 && (live[order[j - 1]].Id ^ target) > distance)
                {
                    order[j] = order[j - 1];
                    j--;
                }

                order[j] = i;
            }

            int take = Math.Min(found, destination.Length - written);
            for (int k = 0; k < take; k++)
            {
                destination[written++] = live[order[k]];
            }

            if (written == destination.Length)
            {
                break;
            }
        }

        return written;
    }

    /// <summary>
    /// The up to <paramref name="count"/> live nodes closest to <paramref name="target"/>, closest
    /// first; see <see cref="FindClosest(NodeId, Span{RoutingNode}, bool, DateTimeOffset)"/>.
    /// </summary>
    public RoutingNode[] FindClosestNodes(NodeId target, int count, bool includeQuestionable, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        RoutingNode[] result = new RoutingNode[Math.Min(count, _count)];
        int written = FindClosest(target, result, includeQuestionable, now);
        return written == result.Length ? result : result[..written];
    }

    /// <summary>As <see cref="FindClosestNodes"/>, as views (tests and diagnostics).</summary>
    public NodeEntry[] FindClosest(NodeId target, int count, bool includeQuestionable, DateTimeOffset now)
    {
        RoutingNode[] nodes = FindClosestNodes(target, count, includeQuestionable, now);
        var views = new NodeEntry[nodes.Length];
        Views(nodes, views);
        return views;
    }

    /// <summary>Writes every bucket index, in the order FindClosest visits them, into <paramref name="order"/>.</summary>
    internal void GetBucketOrder(NodeId target, Span<byte> order)
    {
        var e = new BucketOrder(LocalId, target, _buckets.Count);
        int k = 0;
        while (e.MoveNext())
        {
            order[k++] = (byte)e.Current;
        }
    }

    /// <summary>Replies at or before this moment (UTC ticks) no longer make a node good at <paramref name="now"/>.</summary>
    internal static long GoodAfterTicks(DateTimeOffset now, RoutingTableOptions options) =>
        now.UtcTicks - DateTimeOffset.MinValue.UtcTicks > options.GoodFor.Ticks ? now.UtcTicks - options.GoodFor.Ticks : DateTimeOffset.MinValue.UtcTicks;

    /// <summary>
    /// Yields the bucket indexes sorted by the distance of their range to a target, lazily: a lookup
    /// usually stops after the first bucket or two.
    /// </summary>
    /// <remarks>
    /// Bucket i (not the last) holds the ids whose common prefix with ours is exactly i bits; the
    /// last bucket holds the rest. Let x = ours ^ target and c its leading zero count. The nodes of
    /// bucket c agree with the target on c+1 bits: closest. Every bucket i below c is farther
    /// than all after it, so those come last, from c-1 down to 0. Among the buckets above c, whose
    /// nodes all differ from the target first at bit c, bucket i is closer than every later bucket
    /// when bit i of x is 1 and farther when it is 0: those with a 1 bit come in ascending order,
    /// then the last bucket, then those with a 0 bit in descending order. When c reaches the last
    /// bucket, it comes first and the rest follow from last-1 down to 0.
    /// </remarks>
    private struct BucketOrder
    {
        private readonly NodeId _x;
        private readonly int _c;
        private readonly int _last;
        private int _phase;
        private int _i;

        public BucketOrder(NodeId localId, NodeId target, int bucketCount)
        {
            _x = localId ^ target;
            _c = localId.CommonPrefixLength(target);
            _last = bucketCount - 1;
            _phase = 0;
            _i = 0;
            Current = -1;
        }

        public int Current { get; private set; }

        public bool MoveNext()
        {
            while (true)
            {
                switch (_phase)
                {
                    case 0:
                        if (_c >= _last)
                        {
                            Current = _last;
                            (_phase, _i) = (3, _last - 1);
                        }
                        else
                        {
                            Current = _c;
                            (_phase, _i) = (1, _c + 1);
                        }

                        return true;

                    case 1:
                        // Between c and the last bucket, ascending, where x has a 1 bit; then the last bucket.
                        while (_i < _last)
                        {
                            int i = _i++;
                            if (_x.GetBit(i))
                            {
                                Current = i;
                                return true;
                            }
                        }

                        Current = _last;
                        (_phase, _i) = (2, _last - 1);
                        return true;

                    case 2:
                        // Between the last bucket and c, descending, where x has a 0 bit.
                        while (_i > _c)
                        {
                            int i = _i--;
                            if (!_x.GetBit(i))
                            {
                                Current = i;
                                return true;
                            }
                        }

                        (_phase, _i) = (3, _c - 1);
                        continue;

                    default:
                        // The buckets farther than the target's own, nearest first.
                        if (_i >= 0)
                        {
                            Current = _i--;
                            return true;
                        }

                        return false;
                }
            }
        }
    }
}
