using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace MainlineDht.Protocol;

/// <summary>
/// A 160-bit DHT identifier: a node id or an infohash. Distances are XOR, compared as unsigned
/// big-endian integers, as BEP 5 fixes.
/// </summary>
public readonly struct NodeId : IEquatable<NodeId>, IComparable<NodeId>, ISpanFormattable
{
    /// <summary>The size of an id in bytes.</summary>
    public const int Size = 20;

    /// <summary>The size of an id in bits.</summary>
    public const int Bits = 160;

    // Big-endian: _hi holds bytes 0..7, _mid bytes 8..15, _lo bytes 16..19.
    private readonly ulong _hi;
    private readonly ulong _mid;
    private readonly uint _lo;

    /// <summary>An id from its three big-endian parts (for compact storage, see <c>Routing.RoutingNode</c>).</summary>
    internal NodeId(ulong hi, ulong mid, uint lo)
    {
        _hi = hi;
        _mid = mid;
        _lo = lo;
    }

    /// <summary>Bytes 0..7, big-endian.</summary>
    internal ulong Hi => _hi;

    /// <summary>Bytes 8..15, big-endian.</summary>
    internal ulong Mid => _mid;

    /// <summary>Bytes 16..19, big-endian.</summary>
    internal uint Lo => _lo;

    /// <summary>Creates an id from exactly 20 bytes.</summary>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 20 bytes long.</exception>
    public NodeId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A node id is {Size} bytes; got {bytes.Length}.", nameof(bytes));
        }

        _hi = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _mid = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _lo = BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]);
    }

    /// <summary>The id whose bits are all zero.</summary>
    public static NodeId Zero => default;

    /// <summary>The id whose bits are all one (the largest distance).</summary>
    public static NodeId MaxValue => new(ulong.MaxValue, ulong.MaxValue, uint.MaxValue);

    /// <summary>Reads an id from 20 bytes without throwing; false when the length is wrong.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out NodeId id)
    {
        if (bytes.Length != Size)
        {
            id = default;
            return false;
        }

        id = new NodeId(bytes);
        return true;
    }

    /// <summary>A uniformly random id drawn from <paramref name="random"/>.</summary>
    public static NodeId CreateRandom(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> bytes = stackalloc byte[Size];
        random.NextBytes(bytes);
        return new NodeId(bytes);
    }

    /// <summary>
    /// A random id that shares its first <paramref name="prefixLength"/> bits with
    /// <paramref name="prefix"/>: a random id in the bucket of that prefix.
    /// </summary>
    public static NodeId CreateRandomInRange(NodeId prefix, int prefixLength, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, Bits);
        NodeId r = CreateRandom(random);
        NodeId mask = PrefixMask(prefixLength);
        return new NodeId(
            (prefix._hi & mask._hi) | (r._hi & ~mask._hi),
            (prefix._mid & mask._mid) | (r._mid & ~mask._mid),
            (prefix._lo & mask._lo) | (r._lo & ~mask._lo));
    }

    /// <summary>An id whose first <paramref name="length"/> bits are one and the rest zero.</summary>
    public static NodeId PrefixMask(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Bits);
        static ulong Mask64(int bits) => bits <= 0 ? 0 : bits >= 64 ? ulong.MaxValue : ~(ulong.MaxValue >> bits);
        uint lo = length <= 128 ? 0u : (uint)(Mask64(length - 128 + 32) & 0xFFFF_FFFF);
        return new NodeId(Mask64(length), Mask64(length - 64), lo);
    }

    /// <summary>The XOR distance between two ids.</summary>
    public static NodeId operator ^(NodeId a, NodeId b) => new(a._hi ^ b._hi, a._mid ^ b._mid, a._lo ^ b._lo);

    /// <summary>The XOR distance from this id to <paramref name="other"/>.</summary>
    public NodeId DistanceTo(NodeId other) => this ^ other;

    /// <summary>
    /// Compares the distances of <paramref name="a"/> and <paramref name="b"/> to this id:
    /// negative when <paramref name="a"/> is closer.
    /// </summary>
    public int CompareDistance(NodeId a, NodeId b) => (a ^ this).CompareTo(b ^ this);

    /// <summary>How many leading bits the two ids share (160 when equal).</summary>
    public int CommonPrefixLength(NodeId other)
    {
        ulong x = _hi ^ other._hi;
        if (x != 0)
        {
            return BitOperations.LeadingZeroCount(x);
        }

        x = _mid ^ other._mid;
        if (x != 0)
        {
            return 64 + BitOperations.LeadingZeroCount(x);
        }

        uint y = _lo ^ other._lo;
        return y != 0 ? 128 + BitOperations.LeadingZeroCount(y) : Bits;
    }

    /// <summary>The bit at <paramref name="index"/>, 0 being the most significant.</summary>
    public bool GetBit(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Bits);
        return index < 64 ? ((_hi >> (63 - index)) & 1) != 0
            : index < 128 ? ((_mid >> (127 - index)) & 1) != 0
            : ((_lo >> (159 - index)) & 1) != 0;
    }

    /// <summary>Writes the 20 bytes of the id into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"A node id needs {Size} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _mid);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _lo);
    }

    /// <summary>The 20 bytes of the id in a new array.</summary>
    public byte[] ToArray()
    {
        byte[] bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses 40 hexadecimal digits.</summary>
    /// <exception cref="FormatException">The text is not 40 hexadecimal digits.</exception>
    public static NodeId Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParse(hex, out NodeId id)
            ? id
            : throw new FormatException($"A node id is {Size * 2} hexadecimal digits; got '{hex}'.");
    }

    /// <summary>Parses 40 hexadecimal digits without throwing.</summary>
    public static bool TryParse([NotNullWhen(true)] string? hex, out NodeId id) => TryParse(hex.AsSpan(), out id);

    /// <summary>Parses 40 hexadecimal digits without throwing.</summary>
    public static bool TryParse(ReadOnlySpan<char> hex, out NodeId id)
    {
        id = default;
        if (hex.Length != Size * 2)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out int written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            return false;
        }

        id = new NodeId(bytes);
        return true;
    }

    /// <summary>Compares the ids as unsigned big-endian 160-bit integers.</summary>
    public int CompareTo(NodeId other)
    {
        int c = _hi.CompareTo(other._hi);
        if (c != 0)
        {
            return c;
        }

        c = _mid.CompareTo(other._mid);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    /// <inheritdoc/>
    public bool Equals(NodeId other) => _hi == other._hi && _mid == other._mid && _lo == other._lo;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_hi, _mid, _lo);

    /// <summary>The id as 40 lowercase hexadecimal digits.</summary>
    public override string ToString() => string.Create(Size * 2, this, static (chars, id) => id.TryFormat(chars, out _, default, null));

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < Size * 2)
        {
            charsWritten = 0;
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        Convert.TryToHexStringLower(bytes, destination, out charsWritten);
        return true;
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    /// <summary>Unsigned order.</summary>
    public static bool operator <(NodeId left, NodeId right) => left.CompareTo(right) < 0;

    /// <summary>Unsigned order.</summary>
    public static bool operator >(NodeId left, NodeId right) => left.CompareTo(right) > 0;

    /// <summary>Unsigned order.</summary>
    public static bool operator <=(NodeId left, NodeId right) => left.CompareTo(right) <= 0;

    /// <summary>Unsigned order.</summary>
    public static bool operator >=(NodeId left, NodeId right) => left.CompareTo(right) >= 0;
}
