using System.Numerics;

namespace MainlineDht.Simulation;

public sealed partial class VirtualTimeProvider
{
    /// <summary>
    /// The clock's events by due time, ties in the order queued (<see cref="EventKey"/>): a calendar
    /// queue. The next <see cref="RingSlots"/> milliseconds are a ring of one slot per millisecond,
    /// where an event is appended in constant time; a slot is sorted once, when the clock reaches it.
    /// Events due later (upkeep timers, far timeouts) wait in a binary heap and move into the ring as
    /// it comes near them. Not thread-safe (the clock uses it under its lock).
    /// </summary>
    /// <remarks>
    /// The order is exactly that of one heap ordered by <see cref="EventKey"/>, which this replaced:
    /// a heap of millions of datagrams in flight cost a dozen cache misses per event.
    /// </remarks>
    private sealed class EventQueue
    {
        /// <summary>The ring's length in slots (milliseconds): longer than a datagram's latency and a query's timeout.</summary>
        public const int RingSlots = 1 << 10;

        private const long SlotTicks = TimeSpan.TicksPerMillisecond;
        private const int Mask = RingSlots - 1;

        /// <summary>
        /// A slot array larger than this, used to a quarter or less, shrinks when its slot is left: the
        /// ring gives back what a burst (a join wave) made it hold (at 256, 12 MB was kept after a
        /// 30,000-node build).
        /// </summary>
        private const int KeptSlotCapacity = 32;

        private readonly Slot[] _ring = new Slot[RingSlots];
        private readonly ulong[] _occupied = new ulong[RingSlots / 64];
        private readonly PriorityQueue<Event, EventKey> _later = new();
        private readonly EntryComparer _comparer = new();

        /// <summary>The slot (absolute millisecond) the clock is in; never after the clock's time.</summary>
        private long _cursor;

        /// <summary>The next entry of the cursor's slot (the ones before it were taken).</summary>
        private int _head;

        public int Count { get; private set; }

        public void Enqueue(Event item, EventKey key)
        {
            Count++;
            long slot = Math.Max(key.Due / SlotTicks, _cursor);
            if (slot >= _cursor + RingSlots)
            {
                _later.Enqueue(item, key);
                return;
            }

            ref Slot target = ref _ring[slot & Mask];
            if (slot == _cursor)
            {
                // The cursor's slot is sorted and being taken from: the entry goes to its place.
                int low = _head, high = target.Count;
                while (low < high)
                {
                    int middle = (low + high) >>> 1;
                    if (target.Items![middle].Key.CompareTo(key) <= 0)
                    {
                        low = middle + 1;
                    }
                    else
                    {
                        high = middle;
                    }
                }

                Append(ref target, new Entry(item, key));
                Array.Copy(target.Items!, low, target.Items!, low + 1, target.Count - 1 - low);
                target.Items![low] = new Entry(item, key);
            }
            else
            {
                Append(ref target, new Entry(item, key));
            }

            _occupied[(slot & Mask) >> 6] |= 1UL << (int)(slot & 63);
        }

        /// <summary>The first event if it is due by <paramref name="limit"/> (ticks); the cursor moves no further than that.</summary>
        public bool TryPeek(long limit, out Event item, out EventKey key)
        {
            while (true)
            {
                ref Slot current = ref _ring[_cursor & Mask];
                if (_head < current.Count)
                {
                    (item, key) = (current.Items![_head].Item, current.Items[_head].Key);
                    return key.Due <= limit;
                }

                if (!MoveToNextSlot(limit / SlotTicks))
                {
                    item = default;
                    key = default;
                    return false;
                }
            }
        }

        /// <summary>Takes the event <see cref="TryPeek"/> gave.</summary>
        public void Dequeue()
        {
            ref Slot current = ref _ring[_cursor & Mask];
            current.Items![_head++] = default; // no reference to a delivered buffer or a fired timer
            Count--;
        }

        /// <summary>Leaves the cursor's slot (all taken) for the next one with an event, if it is not after <paramref name="limitSlot"/>.</summary>
        private bool MoveToNextSlot(long limitSlot)
        {
            ref Slot left = ref _ring[_cursor & Mask];
            if (left.Items is { Length: > KeptSlotCapacity } items && left.Count <= items.Length / 4)
            {
                left.Items = new Entry[Math.Max(4, (int)BitOperations.RoundUpToPowerOf2((uint)left.Count))];
            }

            // Everything in it was taken: it is empty (and sorted) while the cursor waits there.
            left.Count = 0;
            _head = 0;
            _occupied[(_cursor & Mask) >> 6] &= ~(1UL << (int)(_cursor & 63));
            long next = NextOccupied(limitSlot);
            if (_later.TryPeek(out _, out EventKey first))
            {
                long later = first.Due / SlotTicks;
                next = next < 0 ? later : Math.Min(next, later);
            }

            if (next < 0 || next > limitSlot)
            {
                return false;
            }

            _cursor = next;
            while (_later.TryPeek(out Event item, out EventKey key) && key.Due / SlotTicks < _cursor + RingSlots)
            {
                _later.Dequeue();
                long slot = key.Due / SlotTicks;
                Append(ref _ring[slot & Mask], new Entry(item, key));
                _occupied[(slot & Mask) >> 6] |= 1UL << (int)(slot & 63);
            }

            ref Slot current = ref _ring[_cursor & Mask];
            if (current.Count > 1)
            {
                Array.Sort(current.Items!, 0, current.Count, _comparer);
            }

            return true;
        }

        /// <summary>The first slot after the cursor's, up to <paramref name="limitSlot"/>, that holds an event; -1 when none does.</summary>
        private long NextOccupied(long limitSlot)
        {
            long last = Math.Min(limitSlot, _cursor + RingSlots - 1);
            long slot = _cursor + 1;
            while (slot <= last)
            {
                int index = (int)(slot & Mask);
                ulong word = _occupied[index >> 6] >> (index & 63);
                if (word != 0)
                {
                    long found = slot + BitOperations.TrailingZeroCount(word);
                    return found <= last ? found : -1;
                }

                slot += 64 - (index & 63);
            }

            return -1;
        }

        private static void Append(ref Slot slot, Entry entry)
        {
            if (slot.Items is null || slot.Count == slot.Items.Length)
            {
                Array.Resize(ref slot.Items, slot.Items is null ? 4 : slot.Items.Length * 2);
            }

            slot.Items[slot.Count++] = entry;
        }

        private struct Slot
        {
            public Entry[]? Items;
            public int Count;
        }

        private readonly record struct Entry(Event Item, EventKey Key);

        private sealed class EntryComparer : IComparer<Entry>
        {
            public int Compare(Entry x, Entry y) => x.Key.CompareTo(y.Key);
        }
    }
}
