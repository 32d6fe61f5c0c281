using System.Net;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// One k-bucket: the ids that share the first <see cref="PrefixLength"/> bits with
/// <see cref="Prefix"/>. It holds at most K live nodes and a bounded replacement cache, both as
/// arrays of <see cref="RoutingNode"/> kept in the order the nodes arrived (which breaks ties).
/// </summary>
internal sealed class RoutingBucket
{
    // 56 bytes a bucket (a 100,000-node network gives each node about 14): the capacities are the
    // table's options, the prefix is the table's id (with one bit flipped for a far bucket), the
    // counts and the prefix length are small, the last change is kept as UTC ticks.
    private readonly RoutingTable _table;
    private readonly bool _far;
    private RoutingNode[] _live = [];
    private ushort _count; // at most K (256)
    private RoutingNode[] _waiting = [];
    private ushort _waitingCount; // at most the replacement cache's size (1,024)
    private long _lastChanged;

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

    private readonly byte _prefixLength; // at most 160

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
    internal Span<RoutingNode> Live => _live.AsSpan(0, _count);

    /// <summary>The replacement cache, stored inline.</summary>
    internal Span<RoutingNode> Waiting => _waiting.AsSpan(0, _waitingCount);

    /// <summary>Views of the live nodes (for tests and diagnostics: allocates; the table's own code reads <see cref="Live"/>).</summary>
    public ReadOnlySpan<NodeEntry> Nodes
    {
        get
        {
            var views = new NodeEntry[_count];
            for (int i = 0; i < views.Length; i++)
            {
                views[i] = _table.View(_live[i].Id);
            }

            return views;
        }
    }

    /// <summary>Snapshots of the replacement cache (for tests and diagnostics: allocates).</summary>
    public ReadOnlySpan<ReplacementEntry> Replacements
    {
        get
        {
            var entries = new ReplacementEntry[_waitingCount];
            for (int i = 0; i < entries.Length; i++)
            {
                entries[i] = new ReplacementEntry(_waiting[i], _table.Clock);
            }

            return entries;
        }
    }

    public bool Covers(NodeId id) => id.CommonPrefixLength(Prefix) >= PrefixLength;

    /// <summary>A snapshot of the waiting node with this id, or null.</summary>
    internal ReplacementEntry? FindReplacement(NodeId id) => IndexOfWaiting(id) is int i and >= 0 ? new ReplacementEntry(_waiting[i], _table.Clock) : null;

    /// <summary>A snapshot of the waiting node at this endpoint, or null.</summary>
    internal ReplacementEntry? FindReplacement(IPEndPoint endPoint) =>
        IndexOfWaiting(NodeAddress.From(endPoint)) is int i and >= 0 ? new ReplacementEntry(_waiting[i], _table.Clock) : null;

    internal int IndexOfLive(NodeId id)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_live[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    internal int IndexOfWaiting(NodeId id)
    {
        for (int i = 0; i < _waitingCount; i++)
        {
            if (_waiting[i].Id == id)
            {
                return i;
            }
        }

        return -1;
    }

    internal int IndexOfWaiting(in NodeAddress address)
    {
        for (int i = 0; i < _waitingCount; i++)
        {
            if (_waiting[i].IsAt(address))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Appends a live node; returns its slot. The caller keeps the bound.</summary>
    internal int AddLive(in RoutingNode node)
    {
        if (_count == _live.Length)
        {
            // Straight to 8 (K by default): most buckets fill, and growing 2, 4, 8 was 8% of what a
            // simulation allocated.
            Array.Resize(ref _live, Grow(_live.Length, Capacity, first: 8));
        }

        _live[_count] = node;
        return _count++;
    }

    /// <summary>Removes the live node at <paramref name="slot"/>; the later ones move down one slot.</summary>
    internal RoutingNode RemoveLiveAt(int slot) => RemoveAt(_live, ref _count, slot);

    /// <summary>Removes the waiting node at <paramref name="index"/>; the later ones move down one place.</summary>
    internal RoutingNode RemoveWaitingAt(int index) => RemoveAt(_waiting, ref _waitingCount, index);

    private static RoutingNode RemoveAt(RoutingNode[] nodes, ref ushort count, int index)
    {
        RoutingNode removed = nodes[index];
        count--;
        Array.Copy(nodes, index + 1, nodes, index, count - index);
        nodes[count] = default;
        return removed;
    }

    /// <summary>Moves an entry in as-is (used when a bucket splits); the caller keeps the bound.</summary>
    internal void AddWaitingUnchecked(in RoutingNode node)
    {
        if (_waitingCount == _waiting.Length)
        {
            Array.Resize(ref _waiting, Grow(_waiting.Length, Math.Max(ReplacementCapacity, _waitingCount + 1)));
        }

        _waiting[_waitingCount++] = node;
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

            evicted = RemoveWaitingAt(victim);
        }

        AddWaitingUnchecked(node);
        return true;
    }

    private int Oldest(bool verified)
    {
        int oldest = -1;
        for (int i = 0; i < _waitingCount; i++)
        {
            ref readonly RoutingNode r = ref _waiting[i];
            if (r.IsVerified == verified && (oldest < 0 || Seen(r) < Seen(_waiting[oldest])))
            {
                oldest = i;
            }
        }

        return oldest;

        static long Seen(in RoutingNode r) => r.IsVerified ? r.LastReply : r.AddedOrHeard;
    }

    /// <summary>
    /// Gives back the room of an array that holds at least <see cref="SpareToTrim"/> entries more than
    /// it uses (upkeep, every 30 s). A bucket's arrays grow by doubling (a live one straight to K), and
    /// the deepest buckets, near our id, seldom fill: at 30,000 simulated nodes this was 15 of ~100 live
    /// slots and 8 of ~39 waiting ones a node (~1.5 KB). A bucket that grows again after a trim doubles
    /// from its count.
    /// </summary>
    internal void TrimExcess()
    {
        Trim(ref _live, _count);
        Trim(ref _waiting, _waitingCount);

        static void Trim(ref RoutingNode[] nodes, int count)
        {
            if (nodes.Length - count >= SpareToTrim)
            {
                nodes = count == 0 ? [] : nodes[..count];
            }
        }
    }

    /// <summary>The fewest unused entries (64 bytes each) that <see cref="TrimExcess"/> gives back.</summary>
    internal const int SpareToTrim = 2;

    /// <summary>How many entries the live and waiting arrays have room for (tests).</summary>
    internal (int Live, int Waiting) Room => (_live.Length, _waiting.Length);

    /// <summary>Doubles a small array up to the bucket's bound (far buckets fill up; the deep ones stay small).</summary>
    private static int Grow(int length, int bound, int first = 2) => Math.Min(Math.Max(length * 2, first), bound);

    public override string ToString() => $"/{PrefixLength} {Prefix}: {Count} nodes, {_waitingCount} waiting";
}
