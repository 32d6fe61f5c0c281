namespace MainlineDht.Simulation;

/// <summary>
/// How long a datagram takes from one simulated node to another (one way). Subclass it for another
/// distribution; the built-in models are deterministic for the network's seed.
/// </summary>
public abstract class LatencyModel
{
    /// <summary>
    /// The one-way delay of one datagram from node <paramref name="source"/> to node
    /// <paramref name="destination"/> (indexes in <see cref="SimulatedNetwork.Nodes"/>).
    /// </summary>
    /// <param name="source">The sender's index.</param>
    /// <param name="destination">The receiver's index.</param>
    /// <param name="seed">The network's seed, for models that derive a fixed value per link.</param>
    /// <param name="random">The network's random source, for models that draw per datagram.</param>
    public abstract TimeSpan GetDelay(int source, int destination, int seed, Random random);

    /// <summary>Every datagram takes <paramref name="delay"/>.</summary>
    public static LatencyModel Constant(TimeSpan delay) => new UniformLatency(delay, delay, perDatagram: false);

    /// <summary>
    /// Each pair of nodes gets a fixed one-way delay drawn uniformly from
    /// [<paramref name="min"/>, <paramref name="max"/>], the same in both directions (a link's
    /// distance does not change from one datagram to the next).
    /// </summary>
    public static LatencyModel UniformPerLink(TimeSpan min, TimeSpan max) => new UniformLatency(min, max, perDatagram: false);

    /// <summary>Each datagram's one-way delay is drawn uniformly from [<paramref name="min"/>, <paramref name="max"/>] (datagrams may overtake each other).</summary>
    public static LatencyModel UniformPerDatagram(TimeSpan min, TimeSpan max) => new UniformLatency(min, max, perDatagram: true);

    private sealed class UniformLatency : LatencyModel
    {
        private readonly long _min;
        private readonly long _span;
        private readonly bool _perDatagram;

        public UniformLatency(TimeSpan min, TimeSpan max, bool perDatagram)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(min, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
            _min = min.Ticks;
            _span = max.Ticks - min.Ticks;
            _perDatagram = perDatagram;
        }

        public override TimeSpan GetDelay(int source, int destination, int seed, Random random)
        {
            if (_span == 0)
            {
                return TimeSpan.FromTicks(_min);
            }

            double fraction;
            if (_perDatagram)
            {
                fraction = random.NextDouble();
            }
            else
            {
                // A hash of the unordered pair: symmetric, fixed for the seed, and needs no storage.
                (uint low, uint high) = source < destination ? ((uint)source, (uint)destination) : ((uint)destination, (uint)source);
                ulong mixed = Mix.SplitMix64(((ulong)high << 32 | low) ^ Mix.SplitMix64((ulong)(uint)seed));
                fraction = (mixed >> 11) * (1.0 / (1UL << 53));
            }

            return TimeSpan.FromTicks(_min + (long)(fraction * _span));
        }
    }
}

/// <summary>Seed derivation: independent streams from one seed.</summary>
internal static class Mix
{
    /// <summary>The SplitMix64 finalizer: a fast bijective hash of 64 bits.</summary>
    public static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>A 31-bit seed for stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    public static int Derive(int seed, ulong stream) =>
        (int)(SplitMix64(SplitMix64((ulong)(uint)seed) ^ stream) & int.MaxValue);
}
