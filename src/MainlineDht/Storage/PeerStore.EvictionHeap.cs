namespace MainlineDht.Storage;

internal sealed partial class PeerStore
{
    /// <summary>
    /// An indexed binary min-heap of swarms by (peer count, most recent announce): its root is the
    /// first candidate to give way to a new infohash. Each swarm remembers its position, so an
    /// announce re-sorts one swarm in O(log n) without allocating.
    /// </summary>
    private sealed class EvictionHeap
    {
        private Swarm[] _items = []; // most nodes store no peer: the first push makes room for 16
        private int _count;

        public Swarm Min => _count > 0 ? _items[0] : throw new InvalidOperationException("The heap is empty.");

        public ReadOnlySpan<Swarm> Items => _items.AsSpan(0, _count);

        public void Add(Swarm swarm)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, Math.Max(16, _items.Length * 2));
            }

            Place(swarm, _count++);
            SiftUp(swarm.HeapIndex);
        }

        public void Remove(Swarm swarm)
        {
            int index = swarm.HeapIndex;
            Swarm last = _items[--_count];
            _items[_count] = null!;
            swarm.HeapIndex = -1;
            if (index != _count)
            {
                Place(last, index);
                Update(last);
            }
        }

        /// <summary>Restores heap order after <paramref name="swarm"/>'s key changed either way.</summary>
        public void Update(Swarm swarm)
        {
            int index = swarm.HeapIndex;
            SiftUp(index);
            if (swarm.HeapIndex == index)
            {
                SiftDown(index);
            }
        }

        public void VerifyInvariants()
        {
            for (int i = 0; i < _count; i++)
            {
                Check(_items[i].HeapIndex == i, "heap position out of date");
                Check(i == 0 || !Less(_items[i], _items[(i - 1) / 2]), "heap order broken");
            }
        }

        private static bool Less(Swarm a, Swarm b) =>
            a.Count != b.Count ? a.Count < b.Count : a.NewestTicks < b.NewestTicks;

        private void Place(Swarm swarm, int index)
        {
            _items[index] = swarm;
            swarm.HeapIndex = index;
        }

        private void SiftUp(int index)
        {
            Swarm item = _items[index];
            while (index > 0)
            {
                int parent = (index - 1) / 2;
                if (!Less(item, _items[parent]))
                {
                    break;
                }

                Place(_items[parent], index);
                index = parent;
            }

            Place(item, index);
        }

        private void SiftDown(int index)
        {
            Swarm item = _items[index];
            while (true)
            {
                int child = (2 * index) + 1;
                if (child >= _count)
                {
                    break;
                }

                if (child + 1 < _count && Less(_items[child + 1], _items[child]))
                {
                    child++;
                }

                if (!Less(_items[child], item))
                {
                    break;
                }

                Place(_items[child], index);
                index = child;
            }

            Place(item, index);
        }
    }

    /// <summary>Throws when the store's structures disagree; for tests.</summary>
    internal void VerifyInvariants()
    {
        Heap.VerifyInvariants();
        Check(Heap.Items.Length == InfoHashCount, "heap and table differ in size");
        Check(InfoHashCount <= _options.MaxInfoHashes, "more infohashes than the bound");
        int peers = 0;
        foreach (Swarm swarm in _swarms?.Values ?? (IEnumerable<Swarm>)[])
        {
            swarm.VerifyInvariants(_options.MaxPeersPerInfoHash);
            peers += swarm.Count;
        }

        Check(peers == _peerCount, "peer count out of date");
    }
}
