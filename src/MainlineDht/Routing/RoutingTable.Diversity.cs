using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// IP diversity (libtorrent's dht_restrict_routing_ips): for the addresses the rules apply to
// (RoutingTableOptions.IpDiversity), the table holds at most one entry per IP address, live or
// waiting, and a bucket with its replacement cache holds at most one node per /24 (IPv4) or /64
// (IPv6). One operator with a few address ranges can then put only a few nodes in any bucket.
internal sealed partial class RoutingTable
{
    /// <summary>For each restricted address in the table (port 0), the one entry at it: its id, and whether it is live or waiting.</summary>
    private Dictionary<NodeAddress, (NodeId Id, bool Live)>? _byAddress;

    /// <summary>The entries a newcomer pushes out of its way (reused: a handful at most).</summary>
    private List<(NodeId Id, bool Live)>? _inTheWay; // made at the first public address (a table of private ones never needs it)

    /// <summary>How many restricted addresses the table holds (live and waiting); for tests.</summary>
    internal int RestrictedAddressCount => _byAddress?.Count ?? 0;

    /// <summary>Whether the diversity rules apply to <paramref name="address"/>.</summary>
    private bool IsRestricted(IPAddress address) => IpRanges.IsRestricted(address, _options.IpDiversity);

    /// <summary>
    /// Whether a node may enter <paramref name="id"/>'s bucket (live or waiting) at
    /// <paramref name="address"/> under the diversity rules. What stands in its way: the entry that
    /// holds its address elsewhere, and the nodes of its /24 (/64) in the bucket, the node itself (same
    /// id) aside. A node that answered us (<paramref name="verified"/>) pushes out unverified
    /// candidates, bad nodes and entries at its own endpoint (an old id there); an unverified one
    /// pushes out only unverified candidates at its own endpoint. Anything else in the way refuses it.
    /// </summary>
    private bool MakeRoomForAddress(NodeId id, in NodeAddress address, IPAddress ip, bool verified)
    {
        if (!IsRestricted(ip))
        {
            return true;
        }

        List<(NodeId Id, bool Live)> inTheWay = _inTheWay ??= [];
        inTheWay.Clear();
        if (_byAddress is not null && _byAddress.TryGetValue(address.WithoutPort, out (NodeId Id, bool Live) holder) && holder.Id != id)
        {
            if (!CanPushOut(Find(holder), address, verified, holder.Live))
            {
                return false;
            }

            inTheWay.Add(holder);
        }

        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        foreach (ref readonly RoutingNode e in bucket.Live)
        {
            if (e.Id != id && e.Address.SamePrefix(address) && !inTheWay.Contains((e.Id, true)))
            {
                if (!CanPushOut(e, address, verified, live: true))
                {
                    return false;
                }

                inTheWay.Add((e.Id, true));
            }
        }

        foreach (ref readonly RoutingNode r in bucket.Waiting)
        {
            if (r.Id != id && r.Address.SamePrefix(address) && !inTheWay.Contains((r.Id, false)))
            {
                if (!CanPushOut(r, address, verified, live: false))
                {
                    return false;
                }

                inTheWay.Add((r.Id, false));
            }
        }

        foreach ((NodeId Id, bool Live) entry in inTheWay)
        {
            int index = BucketIndexOf(entry.Id);
            if (entry.Live)
            {
                RemoveLive(index, _buckets[index].IndexOfLive(entry.Id));
            }
            else
            {
                RemoveWaiting(_buckets[index], _buckets[index].IndexOfWaiting(entry.Id));
            }
        }

        inTheWay.Clear();
        return true;
    }

    /// <summary>The stored entry an address index value names.</summary>
    private ref RoutingNode Find((NodeId Id, bool Live) key)
    {
        RoutingBucket bucket = _buckets[BucketIndexOf(key.Id)];
        return ref key.Live ? ref bucket.Live[bucket.IndexOfLive(key.Id)] : ref bucket.Waiting[bucket.IndexOfWaiting(key.Id)];
    }

    private bool CanPushOut(in RoutingNode entry, in NodeAddress newcomer, bool verified, bool live)
    {
        if (live)
        {
            return verified && (entry.IsBad(_options.MaxFailures) || entry.IsAt(newcomer));
        }

        return verified
            ? !entry.IsVerified || entry.IsAt(newcomer)
            : !entry.IsVerified && entry.IsAt(newcomer);
    }

    private void IndexAddress(in RoutingNode entry, bool live)
    {
        if (entry.IsRestricted)
        {
            (_byAddress ??= [])[entry.Address.WithoutPort] = (entry.Id, live);
        }
    }

    private void UnindexAddress(in RoutingNode entry, bool live)
    {
        if (_byAddress is not null && entry.IsRestricted
            && _byAddress.TryGetValue(entry.Address.WithoutPort, out (NodeId Id, bool Live) held) && held == (entry.Id, live))
        {
            _byAddress.Remove(entry.Address.WithoutPort);
        }
    }

    /// <summary>Adds a waiting entry to its bucket's replacement cache (which may push out another).</summary>
    private bool AddWaiting(RoutingBucket bucket, in RoutingNode entry)
    {
        if (!bucket.TryAddWaiting(entry, out RoutingNode? evicted))
        {
            return false;
        }

        if (evicted is { } gone)
        {
            UnindexAddress(gone, live: false);
        }

        IndexAddress(entry, live: false);
        return true;
    }

    private void RemoveWaiting(RoutingBucket bucket, int index)
    {
        RoutingNode entry = bucket.RemoveWaitingAt(index);
        UnindexAddress(entry, live: false);
    }

    /// <summary>A waiting node answered from another endpoint (its port changed): it moves there.</summary>
    private void MoveWaiting(ref RoutingNode entry, in NodeAddress address, IPAddress ip)
    {
        UnindexAddress(entry, live: false);
        entry.MoveTo(address, SecureNodeId.IsValid(entry.Id, ip), IsRestricted(ip));
        IndexAddress(entry, live: false);
    }
}
