namespace MainlineDht.Rpc;

/// <summary>
/// A smoothed estimate of the round-trip time of this node's queries (RFC 6298's SRTT and RTTVAR),
/// from which a lookup decides when a node that has not answered is slow: waiting a fixed second
/// for every lost datagram or silent node costs a lookup far more than the network's real round
/// trips do. Not thread-safe: the node updates it under its gate.
/// </summary>
internal struct RoundTripEstimator
{
    /// <summary>Never slower than this (the fixed threshold before any reply is measured).</summary>
    public static readonly TimeSpan MaxSlowAfter = TimeSpan.FromSeconds(1);

    /// <summary>Never faster than this, however quick the network: a node that is merely late is not written off.</summary>
    public static readonly TimeSpan MinSlowAfter = TimeSpan.FromMilliseconds(250);

    private long _smoothed; // ticks; 0 until the first sample
    private long _variation;

    /// <summary>Adds one measured round trip.</summary>
    public void Add(TimeSpan roundTrip)
    {
        long sample = Math.Max(0, roundTrip.Ticks);
        if (_smoothed == 0)
        {
            _smoothed = Math.Max(1, sample);
            _variation = sample / 2;
            return;
        }

        _variation += (Math.Abs(_smoothed - sample) - _variation) / 4;
        _smoothed = Math.Max(1, _smoothed + ((sample - _smoothed) / 8));
    }

    /// <summary>
    /// How long a lookup waits for an answer before the node counts as slow: the smoothed round
    /// trip plus four times its variation, within [<see cref="MinSlowAfter"/>, <see cref="MaxSlowAfter"/>].
    /// </summary>
    public readonly TimeSpan SlowAfter =>
        _smoothed == 0
            ? MaxSlowAfter
            : TimeSpan.FromTicks(Math.Clamp(_smoothed + (4 * _variation), MinSlowAfter.Ticks, MaxSlowAfter.Ticks));
}
