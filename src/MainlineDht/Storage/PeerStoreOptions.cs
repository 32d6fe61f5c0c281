namespace MainlineDht.Storage;

/// <summary>
/// Bounds and lifetimes of the peers a node stores for others (what <c>announce_peer</c> writes
/// and <c>get_peers</c> reads). Every bound holds under any flood of announces: memory grows up to
/// it, never past it.
/// </summary>
/// <remarks>
/// At the defaults the store holds at most 2000 × 500 = 1,000,000 peers, about 100 MB in the worst
/// case of a deliberate flood from hundreds of thousands of addresses (each needing a valid write
/// token). An ordinary node stores a few dozen infohashes with a handful of peers each: a few
/// hundred kilobytes.
/// </remarks>
internal sealed record PeerStoreOptions
{
    /// <summary>
    /// The most infohashes stored at once. Default 2000, libtorrent's <c>dht_max_torrents</c>:
    /// a node only stores the infohashes closest to its id, and even a busy node on the real network
    /// holds a few hundred. When the bound is reached, a new infohash takes the place of the stored
    /// one with the fewest peers (ties: the least recently announced) if that one has a single peer or
    /// no live peer left; otherwise the announce is refused. A flood of one-peer infohashes, the
    /// cheap attack, thus only displaces other one-peer infohashes.
    /// </summary>
    public int MaxInfoHashes { get; init; } = 2000;

    /// <summary>
    /// The most peers stored for one infohash, IPv4 and IPv6 together. Default 500, libtorrent's
    /// <c>dht_max_peers</c>: several times what one reply can carry, so replies are still a varied
    /// sample, and well below the ~6000 addresses at which BEP 33's scrape filters saturate. When the
    /// bound is reached, a new peer replaces the least recently announced one: for a swarm that
    /// large, the freshest announces are the peers most likely still there.
    /// </summary>
    public int MaxPeersPerInfoHash { get; init; } = 500;

    /// <summary>
    /// How long a peer stays after its last announce. Default 30 minutes (BEP 5 practice;
    /// announcers re-announce every 15–30 minutes). A peer announced at t is returned before
    /// t + lifetime and never from then on.
    /// </summary>
    public TimeSpan PeerLifetime { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is less than one, or the lifetime is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxInfoHashes, 1, nameof(MaxInfoHashes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPeersPerInfoHash, 1, nameof(MaxPeersPerInfoHash));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PeerLifetime, TimeSpan.Zero, nameof(PeerLifetime));
    }
}
