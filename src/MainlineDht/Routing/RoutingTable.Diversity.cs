using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// IP diversity (libtorrent's dht_restrict_routing_ips): for the addresses the rules apply to
// (RoutingTableOptions.IpDiversity), the table holds at most one entry per IP address, live or
// waiting, and a bucket with its replacement cache holds at most one node per /24 (IPv4) or /64
// (IPv6). One operator with a few address ranges can then put only a few nodes in any bucket.
internal sealed partial class RoutingTable
{
    /// <summary>For each restricted address in the table, the one entry (a live <see cref="NodeEntry"/> or a waiting <see cref="ReplacementEntry"/>) at it.</summary>
    private Dictionary<IPAddress, object>? _byAddress;

    /// <summary>The entries a newcomer pushes out of its way (reused: a handful at most).</summary>
    private readonly List<object> _inTheWay = [];

    /// <summary>How many restricted addresses the table holds (live and waiting); for tests.</summary>
    internal int RestrictedAddressCount => _byAddress?.Count ?? 0;

    /// <summary>Whether the diversity rules apply to <paramref name="address"/>.</summary>
    private bool IsRestricted(IPAddress address) => IpRanges.IsRestricted(address, _options.IpDiversity);

    /// <summary>
    /// Whether a node may enter <paramref name="id"/>'s bucket (live or waiting) at
    /// <paramref name="endPoint"/> under the diversity rules. What stands in its way: the entry that
    /// holds its address elsewhere, and the nodes of its /24 (/64) in the bucket, the node itself (same
    /// id) aside. A node that answered us (<paramref name="verified"/>) pushes out unverified
    /// candidates, bad nodes and entries at its own endpoint (an old id there); an unverified one
    /// pushes out only unverified candidates at its own endpoint. Anything else in the way refuses it.
    /// </summary>
    private bool MakeRoomForAddress(NodeId id, IPEndPoint endPoint, bool verified)
    {
        if (!IsRestricted(endPoint.Address))
        {
            return true;
        }

        _inTheWay.Clear();
        if (_byAddress is not null && _byAddress.TryGetValue(endPoint.Address, out object? holder) && !IsNode(holder, id))
        {
            if (!CanPushOut(holder, endPoint, verified))
            {
                return false;
            }

            _inTheWay.Add(holder);
        }

        RoutingBucket bucket = _buckets[BucketIndexOf(id)];
        foreach (NodeEntry e in bucket.Nodes)
        {
            if (e.Id != id && IpRanges.SamePrefix(e.EndPoint.Address, endPoint.Address) && !_inTheWay.Contains(e))
            {
                if (!CanPushOut(e, endPoint, verified))
                {
                    return false;
                }

                _inTheWay.Add(e);
            }
        }

        foreach (ReplacementEntry r in bucket.Replacements)
        {
            if (r.Id != id && IpRanges.SamePrefix(r.EndPoint.Address, endPoint.Address) && !_inTheWay.Contains(r))
            {
                if (!CanPushOut(r, endPoint, verified))
                {
                    return false;
                }

                _inTheWay.Add(r);
            }
        }

        foreach (object entry in _inTheWay)
        {
            if (entry is NodeEntry live)
            {
                RemoveLive(live);
            }
            else
            {
                var waiting = (ReplacementEntry)entry;
                RemoveReplacement(_buckets[BucketIndexOf(waiting.Id)], waiting);
            }
        }

        _inTheWay.Clear();
        return true;

        static bool IsNode(object entry, NodeId id) => entry is NodeEntry e ? e.Id == id : ((ReplacementEntry)entry).Id == id;
    }

    private bool CanPushOut(object entry, IPEndPoint newcomer, bool verified)
    {
        if (entry is NodeEntry live)
        {
            return verified && (live.IsBad(_options) || live.EndPoint.Equals(newcomer));
        }

        var waiting = (ReplacementEntry)entry;
        return verified
            ? !waiting.IsVerified || waiting.EndPoint.Equals(newcomer)
            : !waiting.IsVerified && waiting.EndPoint.Equals(newcomer);
    }

    private void IndexAddress(IPEndPoint endPoint, object entry)
    {
        if (IsRestricted(endPoint.Address))
        {
            (_byAddress ??= [])[endPoint.Address] = entry;
        }
    }

    private void UnindexAddress(IPEndPoint endPoint, object entry)
    {
        if (_byAddress is not null && _byAddress.TryGetValue(endPoint.Address, out object? held) && ReferenceEquals(held, entry))
        {
            _byAddress.Remove(endPoint.Address);
        }
    }

    /// <summary>Adds a waiting entry to its bucket's replacement cache (which may push out another).</summary>
    private bool AddReplacement(RoutingBucket bucket, ReplacementEntry entry)
    {
        if (!bucket.TryAddReplacement(entry, out ReplacementEntry? evicted))
        {
            return false;
        }

        if (evicted is not null)
        {
            UnindexAddress(evicted.EndPoint, evicted);
        }

        IndexAddress(entry.EndPoint, entry);
        return true;
    }

    private void RemoveReplacement(RoutingBucket bucket, ReplacementEntry entry)
    {
        if (bucket.RemoveReplacement(entry))
        {
            UnindexAddress(entry.EndPoint, entry);
        }
    }

    /// <summary>A waiting node answered from another endpoint (its port changed): it moves there.</summary>
    private void MoveReplacement(ReplacementEntry entry, IPEndPoint endPoint)
    {
        UnindexAddress(entry.EndPoint, entry);
        entry.EndPoint = endPoint;
        IndexAddress(endPoint, entry);
    }
}
