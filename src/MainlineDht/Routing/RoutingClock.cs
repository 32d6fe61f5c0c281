namespace MainlineDht.Routing;

/// <summary>
/// Turns times into the stamps a <see cref="RoutingNode"/> stores, and back: whole milliseconds since
/// the table's epoch, which is the first time the table was given (the table has no clock of its own,
/// every call brings its <c>now</c>). 40 bits of milliseconds reach about 17 years either side.
/// </summary>
/// <remarks>
/// Times are cut to the millisecond when stored. The rules compare a stored stamp <c>s</c> with
/// <c>now - GoodFor</c> as <c>s &gt; floor((now - GoodFor) / 1 ms)</c>, which is exactly
/// <c>s · 1 ms &gt; now - GoodFor</c>: a time that was a whole millisecond compares as before, to the tick.
/// </remarks>
internal sealed class RoutingClock
{
    private long _epochMs;
    private bool _started;

    /// <summary>The stamp of <paramref name="time"/>; the first time asked for becomes the epoch.</summary>
    public long Stamp(DateTimeOffset time)
    {
        long ms = time.UtcTicks / TimeSpan.TicksPerMillisecond;
        if (!_started)
        {
            _epochMs = ms;
            _started = true;
        }

        return ms - _epochMs;
    }

    /// <summary>The stamp at or before which a reply no longer makes a node good at <paramref name="now"/>.</summary>
    public long GoodAfter(DateTimeOffset now, RoutingTableOptions options)
    {
        long ticks = now.UtcTicks > options.GoodFor.Ticks ? now.UtcTicks - options.GoodFor.Ticks : 0;
        _ = Stamp(now);
        return (ticks / TimeSpan.TicksPerMillisecond) - _epochMs;
    }

    public DateTimeOffset Time(long stamp) => new((stamp + _epochMs) * TimeSpan.TicksPerMillisecond, TimeSpan.Zero);

    public DateTimeOffset? OptionalTime(long stamp) => stamp == RoutingNode.Never ? null : Time(stamp);
}
