using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using MainlineDht.Protocol;

namespace MainlineDht.Routing;

/// <summary>
/// One node of the routing table, stored inline in its bucket's array: no heap object per entry.
/// The same layout serves live nodes and the nodes waiting in a replacement cache. 64 bytes: the id
/// (20), the address (16, an IPv4 address in the first 4) and port, the failure count and flags, the
/// round trip in ticks, and four times as 40-bit stamps (whole milliseconds since the table's epoch,
/// see <see cref="RoutingClock"/>).
/// </summary>
/// <remarks>
/// The table changes entries in place through <c>ref</c>s; everything that leaves the table (snapshots,
/// contacts to ping, <see cref="NodeEntry"/> views) materializes an <see cref="IPEndPoint"/> on the way out.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct RoutingNode
{
    /// <summary>The stamp meaning "never".</summary>
    internal const long Never = long.MinValue;

    /// <summary>The latest stamp a time can have: 2^39 - 1 ms, about 17 years after the epoch (later times saturate).</summary>
    internal const long MaxStamp = (1L << 39) - 1;

    /// <summary>The earliest stamp a time can have (earlier times saturate); the 40-bit value below it encodes <see cref="Never"/>.</summary>
    internal const long MinStamp = -MaxStamp;

    private const byte V6Flag = 1;
    private const byte IdVerifiedFlag = 2;
    private const byte RestrictedFlag = 4;

    // Field order keeps every field at its natural alignment under Pack = 4: 40 + 4 + 16 + 4 = 64 bytes.
    private ulong _idHi;
    private ulong _idMid;
    private uint _idLo;
    private ushort _port;
    private byte _failures;
    private byte _flags;
    private ulong _addressHi;
    private ulong _addressLo;
    private uint _roundTrip;
    private uint _addedLo;
    private uint _lastReplyLo;
    private uint _lastQueryLo;
    private uint _pendingLo;
    private byte _addedHi;
    private byte _lastReplyHi;
    private byte _lastQueryHi;
    private byte _pendingHi;

    /// <summary>A live node that answered at <paramref name="lastReply"/> (stamps of the table's <see cref="RoutingClock"/>).</summary>
    internal RoutingNode(NodeId id, in NodeAddress address, bool idVerified, bool restricted, long added, long lastReply, TimeSpan roundTripTime)
    {
        Id = id;
        (_addressHi, _addressLo, _port) = (address.Hi, address.Lo, address.Port);
        _flags = (byte)((address.IsV6 ? V6Flag : 0) | (idVerified ? IdVerifiedFlag : 0) | (restricted ? RestrictedFlag : 0));
        AddedOrHeard = added;
        LastReply = lastReply;
        LastQuery = Never;
        Pending = Never;
        RoundTripTime = roundTripTime;
    }

    public NodeId Id
    {
        readonly get => new(_idHi, _idMid, _idLo);
        private set => (_idHi, _idMid, _idLo) = (value.Hi, value.Mid, value.Lo);
    }

    /// <summary>The address and port, compact.</summary>
    public readonly NodeAddress Address => new(_addressHi, _addressLo, _port, (_flags & V6Flag) != 0);

    /// <summary>BEP 42: whether the id is one the node's address allows.</summary>
    public readonly bool IdVerified => (_flags & IdVerifiedFlag) != 0;

    /// <summary>Whether the IP-diversity rules apply to the node's address (decided when it entered, as the table's options are fixed).</summary>
    public readonly bool IsRestricted => (_flags & RestrictedFlag) != 0;

    /// <summary>Live: when the node entered the table. Waiting: when we last heard of it in any way.</summary>
    public long AddedOrHeard
    {
        readonly get => Unpack(_addedLo, _addedHi);
        set => Pack(value, out _addedLo, out _addedHi);
    }

    /// <summary>When the node last answered one of our queries; <see cref="Never"/> for an unverified candidate.</summary>
    public long LastReply
    {
        readonly get => Unpack(_lastReplyLo, _lastReplyHi);
        set => Pack(value, out _lastReplyLo, out _lastReplyHi);
    }

    /// <summary>When the node last queried us; <see cref="Never"/> if it never did.</summary>
    public long LastQuery
    {
        readonly get => Unpack(_lastQueryLo, _lastQueryHi);
        set => Pack(value, out _lastQueryLo, out _lastQueryHi);
    }

    /// <summary>Live: when an eviction ping was asked for. Waiting: when its verification was. <see cref="Never"/> if not.</summary>
    public long Pending
    {
        readonly get => Unpack(_pendingLo, _pendingHi);
        set => Pack(value, out _pendingLo, out _pendingHi);
    }

    /// <summary>Failures in a row (saturating; <see cref="RoutingTableOptions.MaxFailures"/> is at most 255).</summary>
    public readonly int FailureCount => _failures;

    /// <summary>Smoothed like TCP's SRTT, in ticks (saturating at about 7 minutes, far above any query timeout).</summary>
    public TimeSpan RoundTripTime
    {
        readonly get => TimeSpan.FromTicks(_roundTrip);
        set => _roundTrip = value <= TimeSpan.Zero ? 0 : value.Ticks >= uint.MaxValue ? uint.MaxValue : (uint)value.Ticks;
    }

    /// <summary>The last time the node showed it was alive, by answering or by querying.</summary>
    public readonly long LastSeen => Math.Max(LastQuery, LastReply);

    public readonly bool IsVerified => LastReply != Never;

    /// <summary>Whether the node is at this address and port.</summary>
    public readonly bool IsAt(in NodeAddress address) =>
        _port == address.Port && _addressHi == address.Hi && _addressLo == address.Lo && ((_flags & V6Flag) != 0) == address.IsV6;

    public readonly IPEndPoint EndPoint => Address.ToEndPoint();

    public readonly bool IsBad(int maxFailures) => _failures >= maxFailures;

    /// <summary>The node's state, with <c>now - GoodFor</c> computed once as the stamp <paramref name="goodAfter"/>.</summary>
    public readonly NodeState GetState(long goodAfter, int maxFailures) =>
        _failures >= maxFailures ? NodeState.Bad
        : LastReply > goodAfter || LastQuery > goodAfter ? NodeState.Good
        : NodeState.Questionable;

    /// <summary>Moves a waiting node to another port or address (it answered from there).</summary>
    internal void MoveTo(in NodeAddress address, bool idVerified, bool restricted)
    {
        (_addressHi, _addressLo, _port) = (address.Hi, address.Lo, address.Port);
        _flags = (byte)((address.IsV6 ? V6Flag : 0) | (idVerified ? IdVerifiedFlag : 0) | (restricted ? RestrictedFlag : 0));
    }

    internal void RecordReply(TimeSpan roundTripTime, long now)
    {
        if (roundTripTime < TimeSpan.Zero)
        {
            roundTripTime = TimeSpan.Zero;
        }

        RoundTripTime += (roundTripTime - RoundTripTime) / 8;
        if (now > LastReply)
        {
            LastReply = now;
        }

        _failures = 0;
        Pending = Never;
    }

    internal void RecordQuery(long now)
    {
        if (now > LastQuery)
        {
            LastQuery = now;
        }
    }

    internal void RecordFailure()
    {
        if (_failures < byte.MaxValue)
        {
            _failures++;
        }

        Pending = Never;
    }

    /// <summary>The live node as a verified replacement: heard when last seen, what it did kept, its failures and pending ping forgotten.</summary>
    internal readonly RoutingNode ToWaiting()
    {
        RoutingNode waiting = this;
        waiting.AddedOrHeard = LastSeen;
        waiting.Pending = Never;
        waiting._failures = 0;
        return waiting;
    }

    internal readonly RoutingTableEntry ToSnapshot(long goodAfter, int maxFailures, RoutingClock clock) =>
        new(Id, EndPoint, clock.Time(AddedOrHeard), clock.Time(LastReply), clock.OptionalTime(LastQuery), _failures, RoundTripTime, GetState(goodAfter, maxFailures));

    /// <summary>Writes the compact node info of BEP 5 (v4) or BEP 32 (v6): id, address, port.</summary>
    internal readonly int WriteCompact(Span<byte> destination)
    {
        Id.WriteTo(destination);
        return NodeId.Size + Address.WriteCompact(destination[NodeId.Size..]);
    }

    public override readonly string ToString() => $"{Id} {EndPoint}";

    /// <summary>Stores a stamp in 40 bits, two's complement; <see cref="Never"/> as the lowest 40-bit value.</summary>
    private static void Pack(long stamp, out uint low, out byte high)
    {
        ulong bits = stamp == Never ? 1UL << 39 : (ulong)Math.Clamp(stamp, MinStamp, MaxStamp);
        low = (uint)bits;
        high = (byte)(bits >> 32);
    }

    private static long Unpack(uint low, byte high)
    {
        long stamp = (long)(((ulong)high << 56) | ((ulong)low << 24)) >> 24; // sign-extends the 40 bits
        return stamp < MinStamp ? Never : stamp;
    }
}

/// <summary>An IP address (16 bytes, IPv4 in the first 4) and a UDP port, inline.</summary>
internal readonly struct NodeAddress : IEquatable<NodeAddress>
{
    private readonly ulong _hi;
    private readonly ulong _lo;

    internal NodeAddress(ulong hi, ulong lo, ushort port, bool v6)
    {
        _hi = hi;
        _lo = lo;
        Port = port;
        IsV6 = v6;
    }

    public ushort Port { get; }

    internal ulong Hi => _hi;

    internal ulong Lo => _lo;

    /// <summary>Whether the address is an IPv6 one (IPv4-mapped IPv6 addresses included, as <see cref="IPAddress"/> has them).</summary>
    public bool IsV6 { get; }

    public static NodeAddress From(IPEndPoint endPoint)
    {
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bool v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        endPoint.Address.TryWriteBytes(bytes, out _);
        return new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]), (ushort)endPoint.Port, v6);
    }

    /// <summary>
    /// The address of a compact node entry's last 6 (IPv4) or 18 (IPv6) bytes, equal to
    /// <see cref="From"/> of the endpoint they decode to, without making that endpoint.
    /// </summary>
    public static NodeAddress FromCompact(ReadOnlySpan<byte> addressAndPort) => addressAndPort.Length == 6
        ? new((ulong)BinaryPrimitives.ReadUInt32BigEndian(addressAndPort) << 32, 0, BinaryPrimitives.ReadUInt16BigEndian(addressAndPort[4..]), v6: false)
        : new(BinaryPrimitives.ReadUInt64BigEndian(addressAndPort), BinaryPrimitives.ReadUInt64BigEndian(addressAndPort[8..]), BinaryPrimitives.ReadUInt16BigEndian(addressAndPort[16..]), v6: true);

    /// <summary>The address without the port: the key of the IP-diversity index.</summary>
    public NodeAddress WithoutPort => new(_hi, _lo, 0, IsV6);

    /// <summary>Whether both are in the same /24 (IPv4, IPv4-mapped included) or /64 (IPv6), as <see cref="IpRanges.SamePrefix"/>.</summary>
    public bool SamePrefix(in NodeAddress other) => IsV6Proper == other.IsV6Proper && PrefixKey == other.PrefixKey;

    private bool IsV4Mapped => IsV6 && _hi == 0 && (_lo >> 32) == 0xFFFF;

    private bool IsV6Proper => IsV6 && !IsV4Mapped;

    private ulong PrefixKey => IsV4Mapped ? (uint)_lo >> 8 : IsV6 ? _hi : (uint)(_hi >> 32) >> 8;

    public bool SameAddress(in NodeAddress other) => _hi == other._hi && _lo == other._lo && IsV6 == other.IsV6;

    public IPAddress ToAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], _lo);
        return new IPAddress(IsV6 ? bytes : bytes[..4]);
    }

    public IPEndPoint ToEndPoint() => new(ToAddress(), Port);

    /// <summary>Whether the address is IPv4 or IPv4-mapped IPv6 (written as IPv4, as <c>CompactFormat.WritePeer</c> does).</summary>
    public bool IsV4OrMapped => !IsV6Proper;

    /// <summary>Writes the address and the port, big-endian: 6 bytes for IPv4 (IPv4-mapped included), 18 for IPv6.</summary>
    public int WriteCompact(Span<byte> destination)
    {
        if (IsV4Mapped)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_lo);
            BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Port);
            return 6;
        }

        if (IsV6)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _lo);
            BinaryPrimitives.WriteUInt16BigEndian(destination[16..], Port);
            return 18;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(_hi >> 32));
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Port);
        return 6;
    }

    public bool Equals(NodeAddress other) => SameAddress(other) && Port == other.Port;

    public override bool Equals(object? obj) => obj is NodeAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_hi, _lo, Port);

    public override string ToString() => ToEndPoint().ToString();

    public static bool operator ==(NodeAddress left, NodeAddress right) => left.Equals(right);

    public static bool operator !=(NodeAddress left, NodeAddress right) => !left.Equals(right);
}
