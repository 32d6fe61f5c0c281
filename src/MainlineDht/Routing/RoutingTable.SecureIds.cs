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
    private bool MaySplitFor(NodeId id, IPEndPoint endPoint, RoutingBucket bucket)
    {
        if (!_options.PreferVerifiedNodeIds || SecureNodeId.IsValid(id, endPoint.Address))
        {
            return true;
        }

        int verified = 0;
        foreach (NodeEntry e in bucket.Nodes)
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

        var live = new List<NodeEntry>(_byId.Count);
        var waiting = new List<ReplacementEntry>();
        foreach (RoutingBucket bucket in _buckets)
        {
            live.AddRange(bucket.Nodes);
            waiting.AddRange(bucket.Replacements);
        }

        live.Sort(static (a, b) => b.LastReply.CompareTo(a.LastReply));
        _buckets.Clear();
        _byId.Clear();
        _byEndPoint.Clear();
        _byAddress?.Clear();
        LocalId = localId;
        _buckets.Add(NewBucket(localId, 0, DateTimeOffset.MinValue));

        foreach (NodeEntry entry in live)
        {
            if (entry.Id != localId)
            {
                Reinsert(entry);
            }
        }

        foreach (ReplacementEntry entry in waiting)
        {
            if (entry.Id != localId && !_byId.ContainsKey(entry.Id) && !_byEndPoint.ContainsKey(entry.EndPoint)
                && _buckets[BucketIndexOf(entry.Id)].FindReplacement(entry.Id) is null
                && MakeRoomForAddress(entry.Id, entry.EndPoint, verified: false))
            {
                AddReplacement(_buckets[BucketIndexOf(entry.Id)], entry);
            }
        }

        foreach (RoutingBucket bucket in _buckets)
        {
            bucket.LastChanged = DateTimeOffset.MinValue;
        }

        return Count;
    }

    /// <summary>Puts a live entry of the old table into the new one: live when there is room (splitting our bucket as needed), else waiting.</summary>
    private void Reinsert(NodeEntry entry)
    {
        if (!MakeRoomForAddress(entry.Id, entry.EndPoint, verified: true))
        {
            return;
        }

        while (true)
        {
            int index = BucketIndexOf(entry.Id);
            RoutingBucket bucket = _buckets[index];
            if (!bucket.IsFull)
            {
                bucket.AddNode(entry);
                _byId[entry.Id] = entry;
                _byEndPoint[entry.EndPoint] = entry;
                IndexAddress(entry.EndPoint, entry);
                return;
            }

            if (index == _buckets.Count - 1 && _buckets.Count < MaxBuckets && MaySplitFor(entry.Id, entry.EndPoint, bucket))
            {
                Split(DateTimeOffset.MinValue);
                continue;
            }

            var waiting = new ReplacementEntry(entry.Id, entry.EndPoint, entry.LastSeen)
            {
                LastReply = entry.LastReply,
                LastQuery = entry.LastQuery,
                RoundTripTime = entry.RoundTripTime,
            };
            AddReplacement(bucket, waiting);
            return;
        }
    }
}
