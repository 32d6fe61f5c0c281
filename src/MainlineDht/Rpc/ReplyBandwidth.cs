namespace MainlineDht.Rpc;

/// <summary>
/// The node's budget for the bytes of its replies (libtorrent's <c>dht_upload_rate_limit</c>): a token
/// bucket refilled at a rate in bytes per second, holding <see cref="BurstSeconds"/> seconds' worth. A
/// reply to a verified node (one in our routing table) may spend the bucket to the last byte; a reply
/// to an unverified source only down to <see cref="ReservedForVerified"/> of it, so that a flood from
/// unknown (possibly spoofed) sources cannot starve the nodes that keep our table. Not thread-safe:
/// the node serializes access.
/// </summary>
internal sealed class ReplyBandwidth
{
    /// <summary>How many seconds of the rate the bucket holds.</summary>
    public const double BurstSeconds = 2;

    /// <summary>The share of the bucket only replies to verified nodes may use.</summary>
    public const double ReservedForVerified = 0.5;

    private readonly double _rate;
    private readonly double _burst;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _lastRefill;

    /// <param name="bytesPerSecond">The rate; 0 turns the budget off.</param>
    /// <param name="time">The clock.</param>
    public ReplyBandwidth(int bytesPerSecond, TimeProvider time)
    {
        _rate = bytesPerSecond;
        _burst = bytesPerSecond * BurstSeconds;
        _time = time;
        _tokens = _burst;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>False when the budget is off.</summary>
    public bool Enabled => _rate > 0;

    /// <summary>Takes <paramref name="bytes"/> from the budget for one reply; false (nothing taken) when it cannot be spent now.</summary>
    public bool TryTake(int bytes, bool verified)
    {
        if (!Enabled)
        {
            return true;
        }

        long now = _time.GetTimestamp();
        _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _rate));
        _lastRefill = now;
        double floor = verified ? 0 : _burst * ReservedForVerified;
        if (_tokens - bytes < floor)
        {
            return false;
        }

        _tokens -= bytes;
        return true;
    }
}
