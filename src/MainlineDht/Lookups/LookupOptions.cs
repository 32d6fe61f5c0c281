namespace MainlineDht.Lookups;

/// <summary>How a lookup is run: how many nodes it asks at once, when it stops waiting for a slow one, what it records.</summary>
public sealed record LookupOptions
{
    /// <summary>The default of <see cref="Alpha"/> (3 before it was measured: 4 is faster for about one more query; see the README's Simulation section).</summary>
    public const int DefaultAlpha = 4;

    /// <summary>The largest <see cref="Alpha"/> accepted.</summary>
    public const int MaxAlpha = 16;

    /// <summary>The options every lookup runs with unless told otherwise.</summary>
    internal static LookupOptions Default { get; } = new();

    /// <summary>
    /// Queries in flight at once (Kademlia's alpha): each reply, timeout or slow node frees a slot for
    /// the next closest candidate. Default <see cref="DefaultAlpha"/>; from 1 to <see cref="MaxAlpha"/>.
    /// </summary>
    public int Alpha
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxAlpha);
            field = value;
        }
    } = DefaultAlpha;

    /// <summary>
    /// The soft timeout: a node that has not answered after this long stops counting against
    /// <see cref="Alpha"/> (another is asked in its place), and its answer is still taken if it comes
    /// before the lookup ends. Null (the default): from the node's measured round trips, between
    /// 250 ms and 1 s.
    /// </summary>
    public TimeSpan? SlowAfter
    {
        get;
        init
        {
            if (value is TimeSpan t)
            {
                ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(t, TimeSpan.Zero);
            }

            field = value;
        }
    }

    /// <summary>
    /// A <c>get_peers</c> lookup asks only nodes closer to the infohash than the third-closest node
    /// that has answered (Jimenez et al., P2P'11), and ends once the three closest have answered and
    /// nothing closer is left to ask: the peers are held by the nodes nearest the infohash, and
    /// waiting for all K of them costs a round trip. Its <see cref="LookupReport.ClosestNodes"/> are
    /// then the closest that answered, the nearest three sure. Default true. An announce,
    /// <c>find_node</c>, BEP 44 and scrapes always wait for the K closest.
    /// </summary>
    public bool CloserThanThirdResponder { get; init; } = true;

    /// <summary>
    /// When set, of the candidates at the same distance bucket (bits shared with the target), the one
    /// with the shortest round trip the routing table measured is asked first.
    /// </summary>
    internal bool PreferShortRoundTrip { get; init; }

    /// <summary>
    /// When set (the default), a reply that brings nothing closer than the closest known starts the
    /// final round: the K closest not yet asked are all asked at once.
    /// </summary>
    internal bool FinalRound { get; init; } = true;

    /// <summary>
    /// The most entries <see cref="LookupReport.Trace"/> holds per address family: a lookup asks a
    /// few dozen nodes, so this bound is only reached by a lookup that kept finding new nodes.
    /// </summary>
    public const int MaxTraceEntries = 1024;

    /// <summary>
    /// Records every query the lookup sends in <see cref="LookupReport.Trace"/>: which node, in which
    /// round, how close to the target, its round trip and what it returned. Off by default (then
    /// nothing is recorded and the lookup costs what it always did).
    /// </summary>
    public bool Trace { get; init; }
}
