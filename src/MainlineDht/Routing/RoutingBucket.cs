using System.Net;
using System.Runtime.InteropServices;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// One k-bucket: the ids that share the first <see cref="PrefixLength"/> bits with
/// <see cref="Prefix"/>. It holds at most K live nodes and a bounded replacement cache.
/// </summary>
internal sealed class RoutingBucket
{
    private readonly List<NodeEntry> _nodes;
    private readonly List<ReplacementEntry> _replacements;
    private readonly int _capacity;
    private readonly int _replacementCapacity;

    internal RoutingBucket(NodeId prefix, int prefixLength, int capacity, int replacementCapacity, DateTimeOffset lastChanged)
    {
        Prefix = prefix;
        PrefixLength = prefixLength;
        _capacity = capacity;
        _replacementCapacity = replacementCapacity;
        _nodes = new List<NodeEntry>(capacity);
        _replacements = new List<ReplacementEntry>(Math.Min(replacementCapacity, 16));
        LastChanged = lastChanged;
    }

    /// <summary>An id inside the bucket's range; only its first <see cref="PrefixLength"/> bits matter.</summary>
    public NodeId Prefix { get; }

    public int PrefixLength { get; }

    /// <summary>
    /// When a node was last added, replaced, or answered us in this bucket (BEP 5's "last changed"),
    /// or when a refresh of it was last handed out.
    /// </summary>
    public DateTimeOffset LastChanged { get; internal set; }

    public int Count => _nodes.Count;

    public bool IsFull => _nodes.Count >= _capacity;

    public ReadOnlySpan<NodeEntry> Nodes => CollectionsMarshal.AsSpan(_nodes);

    public ReadOnlySpan<ReplacementEntry> Replacements => CollectionsMarshal.AsSpan(_replacements);

    public bool Covers(NodeId id) => id.CommonPrefixLength(Prefix) >= PrefixLength;

    internal void AddNode(NodeEntry entry) => _nodes.Add(entry);

    internal bool RemoveNode(NodeEntry entry) => _nodes.Remove(entry);

    internal ReplacementEntry? FindReplacement(NodeId id)
    {
        foreach (ReplacementEntry r in Replacements)
        {
            if (r.Id == id)
            {
                return r;
            }
        }

        return null;
    }

    internal ReplacementEntry? FindReplacement(IPEndPoint endPoint)
    {
        foreach (ReplacementEntry r in Replacements)
        {
            if (r.EndPoint.Equals(endPoint))
            {
                return r;
            }
        }

        return null;
    }

    internal bool RemoveReplacement(ReplacementEntry entry) => _replacements.Remove(entry);

    /// <summary>Moves an entry in as-is (used when a bucket splits); the caller keeps the bound.</summary>
    internal void AddReplacementUnchecked(ReplacementEntry entry) => _replacements.Add(entry);

    /// <summary>
    /// Makes room for one more replacement and adds it. Newest wins: the oldest unverified entry goes
    /// first; a verified newcomer may also push out the oldest verified one; an unverified newcomer
    /// never pushes out a verified one (then it is dropped and false is returned).
    /// </summary>
    /// <param name="entry">The newcomer.</param>
    /// <param name="evicted">The entry pushed out to make room for it, if any.</param>
    internal bool TryAddReplacement(ReplacementEntry entry, out ReplacementEntry? evicted)
    {
        evicted = null;
        if (_replacementCapacity == 0)
        {
            return false;
        }

        if (_replacements.Count >= _replacementCapacity)
        {
            ReplacementEntry? victim = Oldest(verified: false) ?? (entry.IsVerified ? Oldest(verified: true) : null);
            if (victim is null)
            {
                return false;
            }

            _replacements.Remove(victim);
            evicted = victim;
        }

        _replacements.Add(entry);
        return true;
    }

    private ReplacementEntry? Oldest(bool verified)
    {
        ReplacementEntry? oldest = null;
        foreach (ReplacementEntry r in Replacements)
        {
            if (r.IsVerified == verified && (oldest is null || Seen(r) < Seen(oldest)))
            {
                oldest = r;
            }
        }

        return oldest;

        static DateTimeOffset Seen(ReplacementEntry r) => r.LastReply ?? r.LastHeard;
    }

    public override string ToString() => $"/{PrefixLength} {Prefix}: {Count} nodes, {_replacements.Count} waiting";
}
