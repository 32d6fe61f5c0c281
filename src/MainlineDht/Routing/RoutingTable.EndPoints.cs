using MainlineDht.Protocol;

namespace MainlineDht.Routing;

// The index of live endpoints: an open-addressing hash table (linear probing) of bucket slots, 2 bytes
// a slot and at most two-thirds full (the ~135 live nodes of a 1,000,000-node network fit 256 slots:
// 536 bytes), instead of a dictionary with an endpoint object per entry. A slot holds a node's location
// (bucket index, 8 bits, and position in the bucket, 8 bits: K is at most 256) plus one; 0 is empty. Keys are not stored: a probe compares the
// endpoint of the node at the location. Callers keep it exact: a node is indexed after it is stored,
// unindexed before it is removed, and reindexed when it moves (a split, or the nodes after a removed
// one moving down).
internal sealed partial class RoutingTable
{
    /// <summary>The bits of a location that hold the position in the bucket: <see cref="RoutingTableOptions.BucketSize"/> is at most 2^8.</summary>
    internal const int SlotBits = 8;

    private ushort[] _endPoints = new ushort[8];
    private int _endPointCount;

    private static int Location(int bucket, int slot) => (bucket << SlotBits) | slot;

    private ref RoutingNode At(int location) => ref _buckets[location >> SlotBits].Live[location & ((1 << SlotBits) - 1)];

    private int Home(in NodeAddress address) => (int)((uint)address.GetHashCode() & (uint)(_endPoints.Length - 1));

    /// <summary>The location of the live node at this endpoint, if any.</summary>
    private (int Bucket, int Slot)? FindLive(in NodeAddress address)
    {
        int mask = _endPoints.Length - 1;
        for (int i = Home(address); _endPoints[i] != 0; i = (i + 1) & mask)
        {
            int location = _endPoints[i] - 1;
            if (At(location).IsAt(address))
            {
                return (location >> SlotBits, location & ((1 << SlotBits) - 1));
            }
        }

        return null;
    }

    private void IndexEndPoint(in NodeAddress address, int location)
    {
        if ((_endPointCount + 1) * 3 > _endPoints.Length * 2)
        {
            ushort[] old = _endPoints;
            _endPoints = new ushort[old.Length * 2];
            foreach (ushort held in old)
            {
                if (held != 0)
                {
                    Put(At(held - 1).Address, held);
                }
            }
        }

        Put(address, location + 1);
        _endPointCount++;
    }

    private void Put(in NodeAddress address, int value)
    {
        int mask = _endPoints.Length - 1;
        int i = Home(address);
        while (_endPoints[i] != 0)
        {
            i = (i + 1) & mask;
        }

        _endPoints[i] = (ushort)value;
    }

    /// <summary>The index slot holding <paramref name="location"/> on the probe path of <paramref name="address"/>; -1 if none.</summary>
    private int SlotOf(in NodeAddress address, int location)
    {
        int mask = _endPoints.Length - 1;
        for (int i = Home(address); _endPoints[i] != 0; i = (i + 1) & mask)
        {
            if (_endPoints[i] == location + 1)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The node at <paramref name="from"/> (still stored there) now lives at <paramref name="to"/>.</summary>
    private void ReindexEndPoint(in NodeAddress address, int from, int to)
    {
        int i = SlotOf(address, from);
        if (i >= 0)
        {
            _endPoints[i] = (ushort)(to + 1);
        }
    }

    /// <summary>Removes the node at <paramref name="location"/> from the index; it must still be stored there.</summary>
    private void UnindexEndPoint(in NodeAddress address, int location)
    {
        int i = SlotOf(address, location);
        if (i < 0)
        {
            return;
        }

        // Backward-shift deletion: move later entries of the cluster into the hole when their home allows.
        int mask = _endPoints.Length - 1;
        int j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (_endPoints[j] == 0)
            {
                break;
            }

            int home = Home(At(_endPoints[j] - 1).Address);
            if (!LinearProbing.Stays(i, j, home))
            {
                _endPoints[i] = _endPoints[j];
                i = j;
            }
        }

        _endPoints[i] = 0;
        _endPointCount--;
    }

    /// <summary>Empties the index (the table is rebuilt around a new id).</summary>
    private void ClearEndPoints()
    {
        Array.Clear(_endPoints);
        _endPointCount = 0;
    }
}
