using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace HostedNode;

/// <summary>One lookup run from the status page: what was looked up, when, and its report.</summary>
internal sealed record RecentLookup(DateTimeOffset Started, NodeId InfoHash, int Peers, LookupReport Report);

/// <summary>The last <see cref="Capacity"/> lookups run from the status page, newest first.</summary>
internal sealed class RecentLookups
{
    public const int Capacity = 20;

    private readonly Lock _gate = new();
    private readonly LinkedList<RecentLookup> _lookups = new();

    public void Add(RecentLookup lookup)
    {
        lock (_gate)
        {
            _lookups.AddFirst(lookup);
            if (_lookups.Count > Capacity)
            {
                _lookups.RemoveLast();
            }
        }
    }

    public IReadOnlyList<RecentLookup> ToList()
    {
        lock (_gate)
        {
            return [.. _lookups];
        }
    }
}
