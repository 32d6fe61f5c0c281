using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// One k-bucket: the ids that share the first <see cref="PrefixLength"/> bits with
/// <see cref="Prefix"/>. It holds at most K live nodes and a bounded replacement cache, both in one
/// array of <see cref="RoutingNode"/>: the live nodes from the front, the waiting ones at the back,
/// each kept in the order the nodes arrived (which breaks ties).
/// </summary>
/// <remarks>
/// A live node keeps its slot while waiting nodes come and go; a waiting node keeps its index in
/// <see cref="Waiting"/> while live nodes come and go. A <c>ref</c> into either does not survive a
/// call that adds or removes a node (the array may be replaced, and the waiting nodes move).
/// </remarks>
internal sealed class RoutingBucket
{
    // 48 bytes a bucket (a 100,000-node network gives each node about 14): the capacities are the
    // table's options, the prefix is the table's id (with one bit flipped for a far bucket), the
    // counts and the prefix length are small, the last change is kept as UTC ticks.
    private readonly RoutingTable _table;
    private RoutingNode[] _nodes = [];
    private long _lastChanged;
    private ushort _count; // at most K (256)
    private ushort _waitingCount; // at most the replacement cache's size (1,024)
    private readonly byte _prefixLength; // at most 160
    private readonly bool _far;

    /// <param name="table">The table of the bucket: its id and options.</param>
    /// <param name="far">Whether the ids of the bucket differ from the table's id at bit <paramref name="prefixLength"/> - 1 (all buckets but the last).</param>
    /// <param name="prefixLength">How many leading bits the ids of the bucket share with its <see cref="Prefix"/>.</param>
    /// <param name="lastChanged">When the bucket last changed.</param>
    internal RoutingBucket(RoutingTable table, bool far, int prefixLength, DateTimeOffset lastChanged)
    {
        _table = table;
        _far = far;
        _prefixLength = (byte)prefixLength;
        LastChanged = lastChanged;
    }

    /// <summary>An id inside the bucket's range; only its first <see cref="PrefixLength"/> bits matter.</summary>
    public NodeId Prefix => _far ? _table.LocalId ^ (NodeId.PrefixMask(PrefixLength) ^ NodeId.PrefixMask(PrefixLength - 1)) : _table.LocalId;

    public int PrefixLength => _prefixLength;

    /// <summary>
    /// When a node was last added, replaced, or answered us in this bucket (BEP 5's "last changed"),
    /// or when a refresh of it was last handed out.
    /// </summary>
    public DateTimeOffset LastChanged
    {
        get => new(_lastChanged, TimeSpan.Zero);
        internal set => _lastChanged = value.UtcTicks;
    }

    public int Count => _count;

    public bool IsFull => _count >= Capacity;

    private int Capacity => _table.Options.BucketSize;

    private int ReplacementCapacity => _table.Options.ReplacementCacheSize;

    /// <summary>The live nodes, stored inline; the table changes them through this span.</summary>
    internal Span<RoutingNode> Live => _nodes.AsSpan(0, _count);

    /// <summary>The replacement cache, stored inline (oldest first).</summary>
    internal Span<RoutingNode> Waiting => _nodes.AsSpan(_nodes.Length - _waitingCount, _waitingCount);

    /// <summary>How many entries the array has room for, live and waiting together (tests).</summary>
    internal int Room => _nodes.Length;

    private int Free => _nodes.Length - _count - _waitingCount;

    /// <summary>Views of the live nodes (for tests and diagnostics: allocates; the table's own code reads <see cref="Live"/>).</summary>
    public ReadOnlySpan<NodeEntry> Nodes
    {
        get
        {
            var views = new NodeEntry[_count];
            for (int i = 0; i < views.Length; i++)
            {
                views[i] = _table.View(_nodes[i].Id);
            }

            return views;
        }
    }

    /// <summary>Snapshots of the replacement cache (for tests and diagnostics: allocates).</summary>
    public ReadOnlySpan<ReplacementEntry> Replacements
    {
        get
        {
            Span<RoutingNode> waiting = Waiting;
            var entries = new ReplacementEntry[waiting.Length];
            for (int i = 0; i < entries.Length; i++)
            {
                entries[i] = new ReplacementEntry(waiting[i], _table.Clock);
            }

            return entries;
        }
    }

    public bool Covers(NodeId id) => id.CommonPrefixLength(Prefix) >= PrefixLength;

    /// <summary>A snapshot of the waiting node with this id, or null.</summary>
    internal ReplacementEntry? FindReplacement(NodeId id) => IndexOfWaiting(id) is int i and >= 0 ? new ReplacementEntry(Waiting[i], _table.Clock) : null;

    /// <summary>A snapshot of the waiting node at this endpoint, or null.</summary>
    internal ReplacementEntry? FindReplacement(IPEndPoint endPoint) =>
        IndexOfWaiting(NodeAddress.From(endPoint)) is int i and >= 0 ? new ReplacementEntry(Waiting[i], _table.Clock) : null;

    internal int IndexOfLive(NodeId id)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_nodes[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    internal int IndexOfWaiting(NodeId id)
    {
        Span<RoutingNode> waiting = Waiting;
        for (int i = 0; i < waiting.Length; i++)
        {
            if (waiting[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    internal int IndexOfWaiting(in NodeAddress address)
    {
        Span<RoutingNode> waiting = Waiting;
        for (int i = 0; i < waiting.Length; i++)
        {
            if (waiting[i].IsAt(address))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Appends a live node; returns its slot. The caller keeps the bound.</summary>
    internal int AddLive(in RoutingNode node)
    {
        if (Free == 0)
        {
            Grow(live: true);
        }

        _nodes[_count] = node;
        return _count++;
    }

    /// <summary>Removes the live node at <paramref name="slot"/>; the later ones move down one slot.</summary>
    internal RoutingNode RemoveLiveAt(int slot)
    {
        RoutingNode removed = _nodes[slot];
        _count--;
        Array.Copy(_nodes, slot + 1, _nodes, slot, _count - slot);
        _nodes[_count] = default;
        return removed;
    }

    /// <summary>Removes the waiting node at <paramref name="index"/>; the later ones take one index less (the earlier ones move in the array).</summary>
    internal RoutingNode RemoveWaitingAt(int index)
    {
        int start = _nodes.Length - _waitingCount;
        RoutingNode removed = _nodes[start + index];
        Array.Copy(_nodes, start, _nodes, start + 1, index);
        _nodes[start] = default;
        _waitingCount--;
        return removed;
    }

    /// <summary>Moves an entry in as-is (used when a bucket splits); the caller keeps the bound.</summary>
    internal void AddWaitingUnchecked(in RoutingNode node)
    {
        if (Free == 0)
        {
            Grow(live: false);
        }

        int start = _nodes.Length - _waitingCount;
        Array.Copy(_nodes, start, _nodes, start - 1, _waitingCount);
        _nodes[^1] = node;
        _waitingCount++;
    }

    /// <summary>
    /// Makes room for one more replacement and adds it. Newest wins: the oldest unverified entry goes
    /// first; a verified newcomer may also push out the oldest verified one; an unverified newcomer
    /// never pushes out a verified one (then it is dropped and false is returned).
    /// </summary>
    /// <param name="node">The newcomer.</param>
    /// <param name="evicted">The entry pushed out to make room for it, if any.</param>
    internal bool TryAddWaiting(in RoutingNode node, out RoutingNode? evicted)
    {
        evicted = null;
        if (ReplacementCapacity == 0)
        {
            return false;
        }

        if (_waitingCount >= ReplacementCapacity)
        {
            int victim = Oldest(verified: false);
            if (victim < 0 && node.IsVerified)
            {
                victim = Oldest(verified: true);
            }

            if (victim < 0)
            {
                return false;
            }

            // In place: the ones after the victim move down one place and the newcomer takes the last
            // (one move, where removing and then adding would move the cache twice).
            int start = _nodes.Length - _waitingCount;
            evicted = _nodes[start + victim];
            Array.Copy(_nodes, start + victim + 1, _nodes, start + victim, _waitingCount - victim - 1);
            _nodes[^1] = node;
            return true;
        }

        AddWaitingUnchecked(node);
        return true;
    }

    private int Oldest(bool verified)
    {
        Span<RoutingNode> waiting = Waiting;
        int oldest = -1;
        for (int i = 0; i < waiting.Length; i++)
        {
            ref readonly RoutingNode r = ref waiting[i];
            if (r.IsVerified == verified && (oldest < 0 || Seen(r) < Seen(waiting[oldest])))
            {
                oldest = i;
            }
        }

        return oldest;

        static long Seen(in RoutingNode r) => r.IsVerified ? r.LastReply : r.AddedOrHeard;
    }

    /// <summary>
    /// A bigger array, the live nodes copied to its front and the waiting ones to its back. The side
    /// that grows doubles up to its bound (a live side straight to 8, K by default: most buckets fill,
    /// and growing 2, 4, 8 was 8% of what a simulation allocated; a waiting side from 2, as the deep
    /// buckets stay small); the other keeps its count.
    /// </summary>
    private void Grow(bool live)
    {
        int liveRoom = live ? Math.Max(_count + 1, Math.Min(Math.Max(_count * 2, 8), Capacity)) : _count;
        int waitingRoom = live ? _waitingCount : Math.Max(_waitingCount + 1, Math.Min(Math.Max(_waitingCount * 2, 2), ReplacementCapacity));
        Resize(liveRoom + waitingRoom);
    }

    private void Resize(int length)
    {
        var nodes = length == 0 ? [] : new RoutingNode[length];
        Array.Copy(_nodes, 0, nodes, 0, _count);
        Array.Copy(_nodes, _nodes.Length - _waitingCount, nodes, nodes.Length - _waitingCount, _waitingCount);
        _nodes = nodes;
    }

    /// <summary>
    /// Gives back the room the array holds beyond its nodes when it is at least
    /// <see cref="SpareToTrim"/> entries (upkeep, every 30 s). The deepest buckets, near our id,
    /// seldom fill: at 30,000 simulated nodes their room was 15 of ~100 live slots and 8 of ~39
    /// waiting ones a node (~1.5 KB). A bucket that grows again after a trim doubles from its count.
    /// </summary>
    internal void TrimExcess()
    {
        if (Free >= SpareToTrim)
        {
            Resize(_count + _waitingCount);
        }
    }

    /// <summary>The fewest unused entries (64 bytes each) that <see cref="TrimExcess"/> gives back.</summary>
    internal const int SpareToTrim = 2;

    public override string ToString() => $"/{PrefixLength} {Prefix}: {Count} nodes, {_waitingCount} waiting";
}
