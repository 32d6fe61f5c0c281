namespace MainlineDht.Storage;

/// <summary>
/// Bounds and lifetime of the BEP 44 items a node stores for others (what <c>put</c> writes and
/// <c>get</c> reads). Every bound holds under any flood of puts: memory grows up to it, never past it.
/// </summary>
/// <remarks>
/// At the defaults the store holds at most 700 items of at most 1000 bytes of value, 32 of key, 64
/// of signature and 64 of salt each: under a megabyte in the worst case.
/// </remarks>
internal sealed record ItemStoreOptions
{
    /// <summary>
    /// The most items (immutable and mutable together) stored at once. Default 700, libtorrent's
    /// <c>max_dht_items</c>. At the bound a new item takes the place of the least recently
    /// refreshed one (put or put again): an item nobody republishes goes first.
    /// </summary>
    public int MaxItems { get; init; } = 700;

    /// <summary>
    /// How long an item stays after its last put. Default 2 hours: BEP 44 lets items expire after 2
    /// hours without a re-announce and asks publishers to re-announce every hour. An item put at t
    /// is served before t + lifetime and never from then on.
    /// </summary>
    public TimeSpan ItemLifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bound is less than one, or the lifetime is not positive.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxItems, 1, nameof(MaxItems));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ItemLifetime, TimeSpan.Zero, nameof(ItemLifetime));
    }
}
