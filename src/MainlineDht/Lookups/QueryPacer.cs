namespace MainlineDht.Lookups;

/// <summary>
/// A token bucket on a <see cref="TimeProvider"/>: tokens accrue at <c>rate</c> per second up to a
/// small burst (a tenth of a second's worth, at least one), and each query takes one. Over any
/// stretch of time T, at most <c>rate × T + burst</c> queries pass. Used by one loop at a time.
/// </summary>
internal sealed class QueryPacer
{
    private readonly TimeProvider _time;
    private readonly double _rate;
    private readonly double _burst;
    private double _tokens;
    private long _updated;

    /// <summary>A bucket that lets <paramref name="queriesPerSecond"/> through, starting full.</summary>
    public QueryPacer(double queriesPerSecond, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!(queriesPerSecond > 0) || double.IsInfinity(queriesPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(queriesPerSecond), queriesPerSecond, "The query rate must be a positive number.");
        }

        _time = time;
        _rate = queriesPerSecond;
        _burst = Math.Max(1, Math.Floor(queriesPerSecond / 10));
        _tokens = _burst;
        _updated = time.GetTimestamp();
    }

    /// <summary>The most queries that may leave at once.</summary>
    public double Burst => _burst;

    /// <summary>Takes a token if there is one.</summary>
    public bool TryTake()
    {
        Refill();
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    /// <summary>How long until a token is there (zero when one is).</summary>
    public TimeSpan UntilNext()
    {
        Refill();
        return _tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / _rate);
    }

    private void Refill()
    {
        long now = _time.GetTimestamp();
        double seconds = _time.GetElapsedTime(_updated, now).TotalSeconds;
        _updated = now;
        if (seconds > 0)
        {
            _tokens = Math.Min(_burst, _tokens + (seconds * _rate));
        }
    }
}
