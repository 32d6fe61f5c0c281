using System.Buffers.Binary;
using System.Net;

namespace MainlineDht.Storage;

/// <summary>
/// The address bytes the DHT hashes and stores: 4 bytes for IPv4, 16 for IPv6, and an
/// IPv4-mapped IPv6 address (what a dual-stack socket reports) in its IPv4 form, so a peer is
/// the same peer, and gets the same write token, whichever socket it reached us on.
/// </summary>
internal static class PeerAddress
{
    /// <summary>The largest number of bytes <see cref="Write(IPAddress, Span{byte})"/> produces.</summary>
    public const int MaxLength = 16;

    // An IPv4 address kept as its IPv4-mapped IPv6 number (::ffff:a.b.c.d), so one 128-bit key
    // space holds both families without collisions.
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    /// <summary>
    /// Writes the normalized address bytes of <paramref name="address"/> into
    /// <paramref name="destination"/> (at least <see cref="MaxLength"/> bytes) and returns their count.
    /// </summary>
    /// <exception cref="ArgumentException">The address is neither IPv4 nor IPv6.</exception>
    public static int Write(IPAddress address, Span<byte> destination)
    {
        if (!address.TryWriteBytes(destination, out int written) || written is not (4 or 16))
        {
            throw new ArgumentException($"Not an IPv4 or IPv6 address: {address}.", nameof(address));
        }

        if (written == 16 && address.IsIPv4MappedToIPv6)
        {
            destination.Slice(12, 4).CopyTo(destination);
            return 4;
        }

        return written;
    }

    /// <summary>The 128-bit key of an address: IPv4 in its mapped form, IPv6 as itself.</summary>
    public static UInt128 ToKey(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[MaxLength];
        int length = Write(address, bytes);
        return length == 4
            ? MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes)
            : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>True when <paramref name="key"/> is an IPv4 address.</summary>
    public static bool IsIPv4(UInt128 key) => (key >> 32) == 0xFFFF;

    /// <summary>Writes the address bytes of <paramref name="key"/> (4 or 16) and returns their count.</summary>
    public static int Write(UInt128 key, Span<byte> destination)
    {
        if (IsIPv4(key))
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)key);
            return 4;
        }

        BinaryPrimitives.WriteUInt128BigEndian(destination, key);
        return 16;
    }

    /// <summary>
    /// True for an address a peer can be reached at: not unspecified, multicast or the IPv4
    /// broadcast address.
    /// </summary>
    public static bool IsUsablePeer(UInt128 key)
    {
        if (IsIPv4(key))
        {
            uint v4 = (uint)key;
            return v4 != 0 && v4 != uint.MaxValue && (v4 >> 28) != 0xE; // 224.0.0.0/4 is multicast
        }

        return key != UInt128.Zero && (byte)(key >> 120) != 0xFF;      // ff00::/8 is multicast
    }
}
