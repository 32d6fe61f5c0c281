using MainlineDht.Protocol;

namespace MainlineDht.Storage;

internal sealed partial class PeerStore
{
    /// <summary>One stored peer. Kept in a dense array (uniform sampling by index) and threaded on
    /// a doubly linked list in announce order (expiry and oldest-first replacement from the head).</summary>
    private struct PeerSlot
    {
        public UInt128 Address;      // PeerAddress key: IPv4 in its mapped form
        public long AnnouncedTicks;  // UTC ticks of the last announce
        public int Older;            // index of the previous slot in announce order, -1 at the head
        public int Newer;            // index of the next slot in announce order, -1 at the tail
        public ushort Port;
        public ushort BloomIndex1;   // BEP 33 filter bits of the address, hashed once on insert
        public ushort BloomIndex2;
        public bool Seed;
    }

    /// <summary>The peers of one infohash: one entry per IP address.</summary>
    private sealed class Swarm(NodeId infoHash)
    {
        private const int None = -1;

        private readonly Dictionary<UInt128, int> _index = [];
        private PeerSlot[] _slots = new PeerSlot[1];
        private int _count;
        private int _oldest = None;
        private int _newest = None;

        public NodeId InfoHash { get; } = infoHash;

        /// <summary>Position in the eviction heap, kept by <see cref="EvictionHeap"/>.</summary>
        public int HeapIndex { get; set; } = None;

        public int Count => _count;

        public ReadOnlySpan<PeerSlot> Slots => _slots.AsSpan(0, _count);

        /// <summary>The time of the most recent announce; only meaningful while <see cref="Count"/> &gt; 0.</summary>
        public long NewestTicks => _slots[_newest].AnnouncedTicks;

        public AnnounceOutcome Announce(UInt128 address, ushort port, bool seed, long nowTicks, int maxPeers)
        {
            // Keep announce order and time order the same even if the clock steps back.
            long ticks = _newest == None ? nowTicks : Math.Max(nowTicks, _slots[_newest].AnnouncedTicks);

            if (_index.TryGetValue(address, out int existing))
            {
                ref PeerSlot slot = ref _slots[existing];
                slot.Port = port;
                slot.Seed = seed;
                slot.AnnouncedTicks = ticks;
                Unlink(existing);
                LinkNewest(existing);
                return AnnounceOutcome.Refreshed;
            }

            AnnounceOutcome outcome = AnnounceOutcome.Added;
            if (_count >= maxPeers)
            {
                RemoveAt(_oldest);
                outcome = AnnounceOutcome.ReplacedOldestPeer;
            }

            if (_count == _slots.Length)
            {
                Array.Resize(ref _slots, Math.Min(maxPeers, _slots.Length * 2));
            }

            Span<byte> addressBytes = stackalloc byte[PeerAddress.MaxLength];
            ScrapeBloomFilter.GetIndexes(addressBytes[..PeerAddress.Write(address, addressBytes)], out ushort bloom1, out ushort bloom2);

            int index = _count++;
            _slots[index] = new PeerSlot
            {
                Address = address,
                Port = port,
                Seed = seed,
                AnnouncedTicks = ticks,
                BloomIndex1 = bloom1,
                BloomIndex2 = bloom2,
            };
            _index.Add(address, index);
            LinkNewest(index);
            return outcome;
        }

        /// <summary>Removes peers from the oldest while their last announce is at or before <paramref name="cutoffTicks"/>.</summary>
        public int RemoveAnnouncedAtOrBefore(long cutoffTicks)
        {
            int removed = 0;
            while (_oldest != None && _slots[_oldest].AnnouncedTicks <= cutoffTicks)
            {
                RemoveAt(_oldest);
                removed++;
            }

            return removed;
        }

        /// <summary>Throws when the index, the array and the announce-order list disagree (tests).</summary>
        public void VerifyInvariants(int maxPeers)
        {
            Check(_count >= 1 && _count <= maxPeers, "peer count out of bounds");
            Check(_index.Count == _count, "index and slots differ in size");
            int seen = 0;
            long previousTicks = long.MinValue;
            for (int i = _oldest, older = None; i != None; older = i, i = _slots[i].Newer)
            {
                Check(i < _count && _slots[i].Older == older, "broken announce-order list");
                Check(_slots[i].AnnouncedTicks >= previousTicks, "announce order is not time order");
                Check(_index.TryGetValue(_slots[i].Address, out int at) && at == i, "index points elsewhere");
                previousTicks = _slots[i].AnnouncedTicks;
                Check(++seen <= _count, "announce-order list has a cycle");
                Check(_slots[i].Newer != None || i == _newest, "tail is not the newest");
            }

            Check(seen == _count, "announce-order list misses slots");
        }

        private void RemoveAt(int index)
        {
            Unlink(index);
            _index.Remove(_slots[index].Address);
            int last = --_count;
            if (index != last)
            {
                // Move the last slot into the hole and repoint everything that referred to it.
                PeerSlot moved = _slots[last];
                _slots[index] = moved;
                _index[moved.Address] = index;
                if (moved.Older == None) { _oldest = index; } else { _slots[moved.Older].Newer = index; }
                if (moved.Newer == None) { _newest = index; } else { _slots[moved.Newer].Older = index; }
            }

            _slots[last] = default;
        }

        private void Unlink(int index)
        {
            ref PeerSlot slot = ref _slots[index];
            if (slot.Older == None) { _oldest = slot.Newer; } else { _slots[slot.Older].Newer = slot.Newer; }
            if (slot.Newer == None) { _newest = slot.Older; } else { _slots[slot.Newer].Older = slot.Older; }
            slot.Older = None;
            slot.Newer = None;
        }

        private void LinkNewest(int index)
        {
            ref PeerSlot slot = ref _slots[index];
            slot.Older = _newest;
            slot.Newer = None;
            if (_newest == None) { _oldest = index; } else { _slots[_newest].Newer = index; }
            _newest = index;
        }
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException("Peer store invariant broken: " + message + ".");
        }
    }
}
