using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// A crawl's memory of the nodes it asked: for each, the time before which it must not be asked
/// again (its BEP 51 <c>interval</c>, or a longer wait for a node that does not sample), and
/// whether it is worth coming back to. Bounded: past <c>capacity</c> nodes, the one whose wait ends
/// soonest is forgotten. The same queue, in time order, says which nodes are due for a revisit.
/// </summary>
/// <remarks>
/// A dictionary by endpoint holds the current entry; a priority queue holds (endpoint, time) items,
/// one pushed per change, the older ones left in place and skipped when they come up (an item is
/// live only while its time equals the entry's). Items a change made stale are at most one per
/// change within the longest pending wait; the queue is rebuilt from the dictionary whenever it
/// holds more than twice the capacity, so memory stays bounded too.
/// </remarks>
internal sealed class CrawlSchedule
{
    private readonly int _capacity;
    private readonly Dictionary<IPEndPoint, Entry> _entries = [];
    private readonly PriorityQueue<IPEndPoint, long> _byTime = new();

    public CrawlSchedule(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Nodes remembered.</summary>
    public int Count => _entries.Count;

    /// <summary>Nodes forgotten to stay within the capacity while their wait was not over.</summary>
    public long EvictedEarly { get; private set; }

    /// <summary>Items in the time queue, stale ones included (for tests of the bound).</summary>
    internal int QueueItems => _byTime.Count;

    /// <summary>Whether <paramref name="endPoint"/> may be asked at <paramref name="now"/> (timestamps of the crawl's clock).</summary>
    public bool MayAsk(IPEndPoint endPoint, long now) => !_entries.TryGetValue(endPoint, out Entry entry) || entry.NotBefore <= now;

    /// <summary>Whether <paramref name="endPoint"/> is remembered at all.</summary>
    public bool Contains(IPEndPoint endPoint) => _entries.ContainsKey(endPoint);

    /// <summary>
    /// Records that <paramref name="endPoint"/> must not be asked before <paramref name="notBefore"/>;
    /// with <paramref name="revisit"/>, <see cref="TryTakeDue"/> offers it again then.
    /// </summary>
    public void Set(IPEndPoint endPoint, NodeId? id, long notBefore, bool revisit, long now)
    {
        _entries[endPoint] = new Entry(notBefore, id, revisit);
        _byTime.Enqueue(endPoint, notBefore);
        while (_entries.Count > _capacity && TryDequeueLive(out IPEndPoint? soonest, out Entry entry))
        {
            _entries.Remove(soonest);
            if (entry.NotBefore > now)
            {
                EvictedEarly++;
            }
        }

        if (_byTime.Count > (2 * _capacity) + 64)
        {
            Rebuild();
        }
    }

    /// <summary>
    /// The next node whose wait is over at <paramref name="now"/> and that is worth asking again:
    /// taken out of the schedule (it is asked now, and <see cref="Set"/> again). Nodes whose wait is
    /// over and that are not worth revisiting are forgotten on the way: nothing holds them back any more.
    /// </summary>
    public bool TryTakeDue(long now, out NodeId? id, out IPEndPoint? endPoint)
    {
        while (_byTime.TryPeek(out IPEndPoint? next, out long at) && at <= now)
        {
            _byTime.Dequeue();
            if (!_entries.TryGetValue(next, out Entry entry) || entry.NotBefore != at)
            {
                continue; // stale: the node was asked again since, or forgotten
            }

            _entries.Remove(next);
            if (entry.Revisit)
            {
                id = entry.Id;
                endPoint = next;
                return true;
            }
        }

        id = null;
        endPoint = null;
        return false;
    }

    /// <summary>When the earliest remembered wait ends (a live item, stale ones dropped on the way); null when none.</summary>
    public long? NextDue()
    {
        while (_byTime.TryPeek(out IPEndPoint? next, out long at))
        {
            if (_entries.TryGetValue(next, out Entry entry) && entry.NotBefore == at)
            {
                return at;
            }

            _byTime.Dequeue();
        }

        return null;
    }

    private bool TryDequeueLive(out IPEndPoint endPoint, out Entry entry)
    {
        while (_byTime.TryDequeue(out IPEndPoint? next, out long at))
        {
            if (_entries.TryGetValue(next, out entry) && entry.NotBefore == at)
            {
                endPoint = next;
                return true;
            }
        }

        endPoint = null!;
        entry = default;
        return false;
    }

    private void Rebuild()
    {
        _byTime.Clear();
        foreach ((IPEndPoint endPoint, Entry entry) in _entries)
        {
            _byTime.Enqueue(endPoint, entry.NotBefore);
        }
    }

    private readonly record struct Entry(long NotBefore, NodeId? Id, bool Revisit);
}
