using System.Net;

namespace MainlineDht.Rpc;

/// <summary>
/// Limits how many queries per second each source IP may have answered: a token bucket per
/// address in a fixed-size table (addresses that share a slot share a bucket), so memory stays
/// bounded whatever the number of senders. Not thread-safe: the node serializes access.
/// </summary>
internal sealed class QueryRateLimiter
{
    private const int Slots = 4096;

    private readonly double _ratePerSecond;
    private readonly double _burst;
    // Allocated at the first query: a node with the limit off (simulations) pays nothing.
    private double[]? _tokens;
    private long[]? _lastRefill;
    private readonly TimeProvider _time;

    public QueryRateLimiter(double ratePerSecond, double burst, TimeProvider time)
    {
        _ratePerSecond = ratePerSecond;
        _burst = Math.Max(1, burst);
        _time = time;
    }

    /// <summary>False when the rate is unlimited.</summary>
    public bool Enabled => _ratePerSecond > 0;

    /// <summary>Takes one token for <paramref name="address"/>; false when its bucket is empty.</summary>
    public bool TryAcquire(IPAddress address)
    {
        if (!Enabled)
        {
            return true;
        }

        if (_tokens is null)
        {
            _tokens = new double[Slots];
            _lastRefill = new long[Slots];
            Array.Fill(_tokens, _burst);
        }

        long[] lastRefill = _lastRefill!;
        int slot = (int)((uint)address.GetHashCode() % Slots);
        long now = _time.GetTimestamp();
        double elapsed = _time.GetElapsedTime(lastRefill[slot], now).TotalSeconds;
        lastRefill[slot] = now;
        double tokens = Math.Min(_burst, _tokens[slot] + (elapsed * _ratePerSecond));
        if (tokens < 1)
        {
            _tokens[slot] = tokens;
            return false;
        }

        _tokens[slot] = tokens - 1;
        return true;
    }
}
