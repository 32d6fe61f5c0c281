using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Numerics;
using System.Security.Cryptography;

namespace MainlineDht.Storage;

/// <summary>
/// The bloom filter of BEP 33 (DHT scrapes): 256 bytes (m = 2048 bits), k = 2, holding IP
/// addresses only. A <c>get_peers</c> reply to <c>scrape</c> = 1 carries two of them: <c>BFsd</c>
/// (seeds) and <c>BFpe</c> (other peers). Filters from several nodes are merged by OR and counted
/// with <see cref="EstimateCount"/>.
/// </summary>
/// <remarks>
/// Inserting an address: h = SHA-1(address bytes: 4 for IPv4, 16 for IPv6); index1 =
/// h[0] | h[1] &lt;&lt; 8 and index2 = h[2] | h[3] &lt;&lt; 8, each mod 2048; bit i is
/// <c>bits[i / 8] &amp; (1 &lt;&lt; (i % 8))</c>. This is bit for bit the BEP's pseudocode, and
/// reproduces its test vector.
/// </remarks>
internal sealed class ScrapeBloomFilter
{
    /// <summary>The size of a filter on the wire, in bytes.</summary>
    public const int Size = 256;

    private const int BitCount = Size * 8;
    private const int HashCount = 2;

    /// <summary>
    /// The largest finite estimate, that of a filter with a single zero bit left (about 7,800):
    /// what a saturated filter stands for at least.
    /// </summary>
    public static readonly double MaxEstimate = Estimate(1);

    private readonly byte[] _bits = new byte[Size];

    /// <summary>Creates an empty filter.</summary>
    public ScrapeBloomFilter()
    {
    }

    private ScrapeBloomFilter(ReadOnlySpan<byte> bits) => bits.CopyTo(_bits);

    /// <summary>The 256 bytes of the filter, as sent in <c>BFsd</c> / <c>BFpe</c>.</summary>
    public ReadOnlySpan<byte> Bits => _bits;

    /// <summary>True when no bit is set.</summary>
    public bool IsEmpty => !_bits.AsSpan().ContainsAnyExcept((byte)0);

    /// <summary>
    /// Reads a filter received from another node; false when it is not exactly
    /// <see cref="Size"/> bytes.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> bits, [NotNullWhen(true)] out ScrapeBloomFilter? filter)
    {
        filter = bits.Length == Size ? new ScrapeBloomFilter(bits) : null;
        return filter is not null;
    }

    /// <summary>Inserts an IP address (an IPv4-mapped IPv6 address counts as its IPv4 form).</summary>
    public void Insert(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[PeerAddress.MaxLength];
        Insert(bytes[..PeerAddress.Write(address, bytes)]);
    }

    /// <summary>Inserts an address given as its raw bytes: 4 (IPv4) or 16 (IPv6).</summary>
    /// <exception cref="ArgumentException">The span is neither 4 nor 16 bytes long.</exception>
    public void Insert(ReadOnlySpan<byte> addressBytes)
    {
        GetIndexes(addressBytes, out ushort index1, out ushort index2);
        Insert(index1, index2);
    }

    /// <summary>
    /// Inserts an address by the two bit indexes <see cref="GetIndexes"/> computed for it: a store
    /// that keeps them per peer fills a filter without hashing on every scrape.
    /// </summary>
    public void Insert(ushort index1, ushort index2)
    {
        _bits[(index1 & (BitCount - 1)) >> 3] |= (byte)(1 << (index1 & 7));
        _bits[(index2 & (BitCount - 1)) >> 3] |= (byte)(1 << (index2 & 7));
    }

    /// <summary>
    /// True when <paramref name="address"/> may have been inserted; false when it certainly was not.
    /// </summary>
    public bool MayContain(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[PeerAddress.MaxLength];
        GetIndexes(bytes[..PeerAddress.Write(address, bytes)], out ushort index1, out ushort index2);
        return (_bits[index1 >> 3] & (1 << (index1 & 7))) != 0
            && (_bits[index2 >> 3] & (1 << (index2 & 7))) != 0;
    }

    /// <summary>Adds every address of <paramref name="other"/> (bitwise OR): the filter of the union.</summary>
    public void UnionWith(ScrapeBloomFilter other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < Size; i++)
        {
            _bits[i] |= other._bits[i];
        }
    }

    /// <summary>Clears every bit, so the filter can be reused for the next reply.</summary>
    public void Clear() => Array.Clear(_bits);

    /// <summary>
    /// The number of distinct addresses inserted, estimated by BEP 33's formula
    /// <c>log(c / m) / (k · log(1 − 1/m))</c> with c = min(m − 1, zero bits). An empty filter gives
    /// about 0.5; the estimate is reliable up to a few thousand addresses and breaks down towards
    /// 8000. A filter with no zero bit left is saturated and gives
    /// <see cref="double.PositiveInfinity"/>: more than it can tell.
    /// </summary>
    public double EstimateCount()
    {
        int ones = 0;
        for (int i = 0; i < Size; i += sizeof(ulong))
        {
            ones += BitOperations.PopCount(BitConverter.ToUInt64(_bits, i));
        }

        return Estimate(Math.Min(BitCount - 1, BitCount - ones));
    }

    /// <summary>BEP 33's formula for a filter with <paramref name="zeros"/> zero bits.</summary>
    private static double Estimate(double zeros) => Math.Log(zeros / BitCount) / (HashCount * Math.Log(1.0 - (1.0 / BitCount)));

    /// <summary>The two bit indexes (0–2047) of an address given as 4 or 16 bytes.</summary>
    /// <exception cref="ArgumentException">The span is neither 4 nor 16 bytes long.</exception>
    public static void GetIndexes(ReadOnlySpan<byte> addressBytes, out ushort index1, out ushort index2)
    {
        if (addressBytes.Length is not (4 or 16))
        {
            throw new ArgumentException("An address is 4 (IPv4) or 16 (IPv6) bytes.", nameof(addressBytes));
        }

        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(addressBytes, hash);
        index1 = (ushort)((hash[0] | (hash[1] << 8)) % BitCount);
        index2 = (ushort)((hash[2] | (hash[3] << 8)) % BitCount);
    }
}
