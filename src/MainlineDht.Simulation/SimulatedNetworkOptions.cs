namespace MainlineDht.Simulation;

/// <summary>How a <see cref="SimulatedNetwork"/> behaves. Every property has a documented default.</summary>
public sealed record SimulatedNetworkOptions
{
    /// <summary>The seed every random choice derives from (node ids, latencies, losses); default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The one-way delay of datagrams; default 25–150 ms per link (round trips of 50–300 ms).</summary>
    public LatencyModel Latency { get; init; } = LatencyModel.UniformPerLink(TimeSpan.FromMilliseconds(25), TimeSpan.FromMilliseconds(150));

    /// <summary>The probability that a datagram is lost, from 0 to 1; default 0.</summary>
    public double LossRate { get; init; }

    /// <summary>
    /// Give nodes public-looking virtual addresses, one /24 each (11.0.0.1, 11.0.1.1, … as on the
    /// internet, where nodes rarely share a range), instead of consecutive loopback ones, so that the
    /// rules meant for the internet apply: IP diversity (loopback is exempt by default) and BEP 42
    /// (each node starts with the id its address allows). The addresses exist in memory only: nothing
    /// is ever sent anywhere. Default false.
    /// </summary>
    public bool PublicAddresses { get; init; }

    /// <summary>Where virtual time starts; default 2026-01-01 00:00 UTC.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Adjusts each node's options before it is created (for example to change
    /// <see cref="DhtNodeOptions.QueryTimeout"/>); default none. The clock, the transport and inline
    /// continuations are the network's and cannot be changed.
    /// </summary>
    public Func<DhtNodeOptions, DhtNodeOptions>? ConfigureNode { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Latency, nameof(Latency));
        if (!(LossRate is >= 0 and <= 1))
        {
            throw new ArgumentException("LossRate must be from 0 to 1.", nameof(LossRate));
        }
    }
}
