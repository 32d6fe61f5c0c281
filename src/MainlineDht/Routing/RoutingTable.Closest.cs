using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// FindClosest without sorting the table: buckets are disjoint prefix ranges, so the XOR distances
// from a target to the nodes of one bucket form one interval, and the intervals of different buckets
// never overlap. Visiting buckets in the order of their intervals and sorting only inside a bucket
// (at most K nodes) yields the exact closest nodes, and the walk stops as soon as enough are found.
internal sealed partial class RoutingTable
{
    private readonly NodeEntry[] _scratch;
    private readonly NodeId[] _scratchDistances;

    /// <summary>
    /// Writes the live nodes closest to <paramref name="target"/> into <paramref name="destination"/>,
    /// closest first (XOR distance), as many as fit. Bad nodes are never returned; questionable ones
    /// only when <paramref name="includeQuestionable"/> is true. Allocates nothing.
    /// </summary>
    /// <returns>How many entries were written.</returns>
    public int FindClosest(NodeId target, Span<NodeEntry> destination, bool includeQuestionable, DateTimeOffset now)
    {
        if (destination.IsEmpty || _byId.Count == 0)
        {
            return 0;
        }

        Span<byte> order = stackalloc byte[_buckets.Count];
        GetBucketOrder(target, order);

        int written = 0;
        foreach (byte index in order)
        {
            RoutingBucket bucket = _buckets[index];
            int found = 0;
            foreach (NodeEntry e in bucket.Nodes)
            {
                NodeState state = e.GetState(now, _options);
                if (state == NodeState.Bad || (state == NodeState.Questionable && !includeQuestionable))
                {
                    continue;
                }

                // Insertion sort by distance: a bucket holds at most K nodes.
                NodeId distance = e.Id ^ target;
                int j = found++;
                while (j > 0 && _scratchDistances[j - 1] > distance)
                {
                    _scratch[j] = _scratch[j - 1];
                    _scratchDistances[j] = _scratchDistances[j - 1];
                    j--;
                }

                _scratch[j] = e;
                _scratchDistances[j] = distance;
            }

            int take = Math.Min(found, destination.Length - written);
            _scratch.AsSpan(0, take).CopyTo(destination[written..]);
            written += take;
            if (written == destination.Length)
            {
                break;
            }
        }

        _scratch.AsSpan().Clear();
        return written;
    }

    /// <summary>
    /// The up to <paramref name="count"/> live nodes closest to <paramref name="target"/>, closest
    /// first; see <see cref="FindClosest(NodeId, Span{NodeEntry}, bool, DateTimeOffset)"/>.
    /// </summary>
    public NodeEntry[] FindClosest(NodeId target, int count, bool includeQuestionable, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        NodeEntry[] result = new NodeEntry[Math.Min(count, _byId.Count)];
        int written = FindClosest(target, result, includeQuestionable, now);
        return written == result.Length ? result : result[..written];
    }

    /// <summary>
    /// Fills <paramref name="order"/> with the bucket indexes sorted by the distance of their range
    /// to <paramref name="target"/>.
    /// </summary>
    /// <remarks>
    /// Bucket i (not the last) holds the ids whose common prefix with ours is exactly i bits; the
    /// last bucket holds the rest. Let x = ours ^ target and c its leading zero count. The nodes of
    /// bucket c agree with the target on c+1 bits: closest. Every bucket i below c is farther
    /// than all after it, so those come last, from c-1 down to 0. Among the buckets above c, whose
    /// nodes all differ from the target first at bit c, bucket i is closer than every later bucket
    /// when bit i of x is 1 and farther when it is 0: those with a 1 bit come in ascending order,
    /// then the last bucket, then those with a 0 bit in descending order.
    /// </remarks>
    internal void GetBucketOrder(NodeId target, Span<byte> order)
    {
        int n = _buckets.Count;
        int last = n - 1;
        NodeId x = LocalId ^ target;
        int c = LocalId.CommonPrefixLength(target);
        int k = 0;
        if (c >= last)
        {
            for (int i = last; i >= 0; i--)
            {
                order[k++] = (byte)i;
            }

            return;
        }

        order[k++] = (byte)c;
        for (int i = c + 1; i < last; i++)
        {
            if (x.GetBit(i))
            {
                order[k++] = (byte)i;
            }
        }

        order[k++] = (byte)last;
        for (int i = last - 1; i > c; i--)
        {
            if (!x.GetBit(i))
            {
                order[k++] = (byte)i;
            }
        }

        for (int i = c - 1; i >= 0; i--)
        {
            order[k++] = (byte)i;
        }
    }
}
