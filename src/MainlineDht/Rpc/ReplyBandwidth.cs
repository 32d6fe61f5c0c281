namespace MainlineDht.Rpc;

/// <summary>
/// The node's budget for the bytes of its replies (after libtorrent's <c>dht_upload_rate_limit</c>): a
/// token bucket refilled at a rate in bytes per second, holding <see cref="BurstSeconds"/> seconds'
/// worth. A reply to a verified node (in our routing table, or one that answered a query of ours
/// lately) is never refused: it spends the bucket, down to empty. A reply to an unverified source is
/// refused unless it leaves <see cref="ReservedForVerified"/> of the bucket: a flood from unknown
/// (possibly spoofed) sources gets at most the rate, and none of it while verified nodes use the
/// bucket up. A source that answers our ping is verified (<see cref="AnsweredSources"/>), so only
/// sources that never answer (spoofed ones) stay held to it. Not thread-safe: the node serializes access.
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
        if (verified)
        {
            _tokens = Math.Max(0, _tokens - bytes);
            return true;
        }

        if (_tokens - bytes < _burst * ReservedForVerified)
        {
            return false;
        }

        _tokens -= bytes;
        return true;
    }
}
