namespace MainlineDht.Routing;

/// <summary>The numbers that shape a routing table. The defaults are the ones BEP 5 fixes.</summary>
internal sealed record RoutingTableOptions
{
    /// <summary>The options BEP 5 prescribes.</summary>
    public static RoutingTableOptions Default { get; } = new();

    /// <summary>K: how many live nodes a bucket holds, at most 256. Default 8.</summary>
    public int BucketSize { get; init; } = 8;

    /// <summary>
    /// How many waiting nodes (answered but no room yet, or heard of and not yet verified) each bucket
    /// remembers beside its live nodes. Default 8; 0 keeps none.
    /// </summary>
    public int ReplacementCacheSize { get; init; } = 8;

    /// <summary>How long a node stays good after its last answer (or query, once it has answered). Default 15 minutes.</summary>
    public TimeSpan GoodFor { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How many failures in a row make a node bad. Default 2.</summary>
    public int MaxFailures { get; init; } = 2;

    /// <summary>How long a bucket may stay unchanged before it is due for a refresh. Default 15 minutes.</summary>
    public TimeSpan BucketRefreshInterval { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Which addresses the diversity rules apply to: one entry per IP address in the table, one node
    /// per /24 (IPv4) or /64 (IPv6) in a bucket with its replacement cache. Default
    /// <see cref="IpDiversity.Public"/> (loopback, private and link-local addresses are exempt).
    /// </summary>
    public IpDiversity IpDiversity { get; init; } = IpDiversity.Public;

    /// <summary>
    /// BEP 42: the bucket holding our id splits for a newcomer whose id is not the one its address
    /// allows only while fewer than 2/3 of the bucket's nodes have verified ids (libtorrent's
    /// <c>dht_prefer_verified_node_ids</c>). Default true.
    /// </summary>
    public bool PreferVerifiedNodeIds { get; init; } = true;

    /// <summary>BEP 42: nodes whose id is not the one their address allows are not taken at all. Default false.</summary>
    public bool EnforceNodeIds { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BucketSize, 1, nameof(BucketSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BucketSize, 1 << RoutingTable.SlotBits, nameof(BucketSize)); // the endpoint index packs a position in 8 bits
        ArgumentOutOfRangeException.ThrowIfNegative(ReplacementCacheSize, nameof(ReplacementCacheSize));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ReplacementCacheSize, 1024, nameof(ReplacementCacheSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(GoodFor, TimeSpan.Zero, nameof(GoodFor));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFailures, 1, nameof(MaxFailures));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFailures, byte.MaxValue, nameof(MaxFailures)); // the count is stored in a byte
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BucketRefreshInterval, TimeSpan.Zero, nameof(BucketRefreshInterval));
    }
}
