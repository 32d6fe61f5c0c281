using System.Buffers.Binary;
using MainlineDht.Protocol;

namespace MainlineDht.Lookups;

/// <summary>
/// "Seen this infohash before?" for a crawl that may run for days, in memory fixed at construction:
/// two Bloom filters, each sized for <c>capacity</c> infohashes at a false-positive rate. An
/// infohash goes into the current filter; once the current one holds <c>capacity</c>, the older
/// one is cleared and becomes the current one. So the last <c>capacity</c> infohashes (at least)
/// are always remembered, never more than twice that, and nothing is allocated after construction.
/// </summary>
/// <remarks>
/// A false positive makes a new infohash look seen (it is not reported): at most the configured
/// rate per filter, about twice that with both consulted. Bit positions come from a keyed mix of
/// the infohash (double hashing, Kirsch–Mitzenmacher), the key drawn per filter instance, so that
/// infohashes chosen by a hostile node cannot aim at the same bits in every crawler.
/// </remarks>
internal sealed class InfoHashFilter
{
    private readonly long _capacity;
    private readonly ulong _bits;
    private readonly int _hashCount;
    private readonly ulong _key0;
    private readonly ulong _key1;
    private ulong[] _current;
    private ulong[] _previous;
    private long _currentCount;

    /// <summary>A filter for <paramref name="capacity"/> infohashes per generation at <paramref name="falsePositiveRate"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not positive or the rate not in (0, 0.5].</exception>
    public InfoHashFilter(long capacity, double falsePositiveRate, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (!(falsePositiveRate is > 0 and <= 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(falsePositiveRate), falsePositiveRate, "The false-positive rate must be above 0 and at most 0.5.");
        }

        ArgumentNullException.ThrowIfNull(random);

        // m = -n ln p / (ln 2)^2 bits, k = (m / n) ln 2 hashes: the sizes that minimise the rate.
        double bits = Math.Ceiling(-capacity * Math.Log(falsePositiveRate) / (Math.Log(2) * Math.Log(2)));
        long words = Math.Max(1, (long)Math.Ceiling(bits / 64));
        _capacity = capacity;
        _bits = (ulong)words * 64;
        _hashCount = Math.Clamp((int)Math.Round(_bits / (double)capacity * Math.Log(2)), 1, 30);
        _current = new ulong[words];
        _previous = new ulong[words];
        _key0 = (ulong)random.NextInt64() | 1;
        _key1 = (ulong)random.NextInt64();
    }

    /// <summary>The bytes the two filters take (all there is: nothing grows).</summary>
    public long MemoryBytes => 2L * _current.Length * sizeof(ulong);

    /// <summary>Infohashes each filter is sized for.</summary>
    public long Capacity => _capacity;

    /// <summary>Bit positions per infohash.</summary>
    public int HashCount => _hashCount;

    /// <summary>How many times the older filter was cleared to make room.</summary>
    public long Rotations { get; private set; }

    /// <summary>
    /// True when <paramref name="infoHash"/> was not seen (by the filters' account) and is now
    /// remembered; false when it was. A hit in the older filter is copied to the current one, so
    /// an infohash seen again and again is never forgotten by rotation.
    /// </summary>
    public bool AddIfNew(NodeId infoHash)
    {
        (ulong h1, ulong h2) = Hash(infoHash);
        if (Contains(_current, h1, h2))
        {
            return false;
        }

        bool seen = Contains(_previous, h1, h2);
        Insert(_current, h1, h2);
        if (++_currentCount >= _capacity)
        {
            (_current, _previous) = (_previous, _current);
            Array.Clear(_current);
            _currentCount = 0;
            Rotations++;
        }

        return !seen;
    }

    private bool Contains(ulong[] filter, ulong h1, ulong h2)
    {
        for (int i = 0; i < _hashCount; i++)
        {
            ulong bit = Position(h1 + ((ulong)i * h2));
            if ((filter[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    private void Insert(ulong[] filter, ulong h1, ulong h2)
    {
        for (int i = 0; i < _hashCount; i++)
        {
            ulong bit = Position(h1 + ((ulong)i * h2));
            filter[bit >> 6] |= 1UL << (int)(bit & 63);
        }
    }

    /// <summary>A 64-bit hash onto [0, bits) without a division (Lemire's multiply-shift).</summary>
    private ulong Position(ulong hash) => (ulong)(((UInt128)hash * _bits) >> 64);

    private (ulong H1, ulong H2) Hash(NodeId infoHash)
    {
        Span<byte> bytes = stackalloc byte[NodeId.Size];
        infoHash.WriteTo(bytes);
        ulong a = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        ulong b = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
        ulong c = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
        ulong h1 = Mix((a ^ _key0) + Mix(b ^ _key1) + c);
        ulong h2 = Mix((b ^ _key0) + Mix(c ^ _key1 ^ a)) | 1; // odd: the k positions differ
        return (h1, h2);
    }

    /// <summary>The finaliser of SplitMix64: every input bit moves about half the output bits.</summary>
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
