using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// BEP 42 in the table: the preference for verified ids when our own bucket is full, and the
// re-bucketing when our own id changes (the node derived a secure id from its external address).
internal sealed partial class RoutingTable
{
    /// <summary>
    /// Whether our own bucket, full, may split for a newcomer: always for a verified id; for an
    /// unverified one only while fewer than 2/3 of the bucket's nodes have verified ids (libtorrent's
    /// <c>dht_prefer_verified_node_ids</c>). Otherwise the newcomer waits in the replacement cache.
    /// </summary>
    private bool MaySplitFor(NodeId id, IPAddress address, RoutingBucket bucket)
    {
        if (!_options.PreferVerifiedNodeIds || SecureNodeId.IsValid(id, address))
        {
            return true;
        }

        int verified = 0;
        foreach (ref readonly RoutingNode e in bucket.Live)
        {
            verified += e.IdVerified ? 1 : 0;
        }

        return verified * 3 < bucket.Count * 2;
    }

    /// <summary>
    /// Our own id changed: every bucket is rebuilt around <paramref name="localId"/>. Live nodes go
    /// back in, most recently answering first, with what the table knew of them (times, failures,
    /// round trip); the bucket holding the new id splits as they need, under the same rules as ever;
    /// a live node that finds no room waits, verified, in its new bucket's replacement cache; waiting
    /// nodes follow where there is room. The new buckets are due for a refresh at once: the
    /// neighbourhood of the new id is still to be learned.
    /// </summary>
    /// <returns>How many live nodes the table holds afterwards.</returns>
    public int ChangeLocalId(NodeId localId)
    {
        if (localId == LocalId)
        {
            return Count;
        }

        var live = new List<RoutingNode>(_count);
        var waiting = new List<RoutingNode>();
        foreach (RoutingBucket bucket in _buckets)
        {
            live.AddRange(bucket.Live);
            waiting.AddRange(bucket.Waiting);
        }

        live.Sort(static (a, b) => b.LastReply.CompareTo(a.LastReply));
        RoutingNode[] ordered = [.. live];
        _buckets.Clear();
        _count = 0;
        ClearEndPoints();
        _byAddress?.Clear();
        LocalId = localId;
        _buckets.Add(NewBucket(far: false, 0, DateTimeOffset.MinValue));

        foreach (RoutingNode entry in ordered)
        {
            if (entry.Id != localId)
            {
                Reinsert(entry);
            }
        }

        foreach (RoutingNode entry in waiting)
        {
            RoutingBucket bucket = _buckets[BucketIndexOf(entry.Id)];
            if (entry.Id != localId && !Contains(entry.Id) && FindLive(entry.Address) is null
                && bucket.IndexOfWaiting(entry.Id) < 0
                && MakeRoomForAddress(entry.Id, entry.Address, entry.Address.ToAddress(), verified: false))
            {
                AddWaiting(_buckets[BucketIndexOf(entry.Id)], entry);
            }
        }

        foreach (RoutingBucket bucket in _buckets)
        {
            bucket.LastChanged = DateTimeOffset.MinValue;
        }

        if (_views is not null)
        {
            // Views of nodes that did not stay live keep what the table knew of them.
            foreach (NodeEntry view in _views.Values.ToArray())
            {
                if (!Contains(view.Id))
                {
                    _views.Remove(view.Id);
                    view.Detach(ordered.First(e => e.Id == view.Id));
                }
            }
        }

        return Count;
    }

    /// <summary>Puts a live entry of the old table into the new one: live when there is room (splitting our bucket as needed), else waiting.</summary>
    private void Reinsert(RoutingNode entry)
    {
        if (!MakeRoomForAddress(entry.Id, entry.Address, entry.Address.ToAddress(), verified: true))
        {
            return;
        }

        while (true)
        {
            int index = BucketIndexOf(entry.Id);
            RoutingBucket bucket = _buckets[index];
            if (!bucket.IsFull)
            {
                int slot = bucket.AddLive(entry);
                _count++;
                IndexEndPoint(entry.Address, Location(index, slot));
                IndexAddress(entry, live: true);
                return;
            }

            if (index == _buckets.Count - 1 && _buckets.Count < MaxBuckets && MaySplitFor(entry.Id, entry.Address.ToAddress(), bucket))
            {
                Split(DateTimeOffset.MinValue);
                continue;
            }

            AddWaiting(bucket, entry.ToWaiting());
            return;
        }
    }
}
