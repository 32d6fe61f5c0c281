using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Protocol;

/// <summary>What kind of address an IP address is, as far as following it on the DHT goes.</summary>
internal enum AddressKind
{
    /// <summary>A public unicast address: reachable from anywhere.</summary>
    Public,

    /// <summary>127.0.0.0/8, ::1: reachable only on the same machine.</summary>
    Loopback,

    /// <summary>10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT), 169.254/16, fc00::/7, fe80::/10, fec0::/10: reachable only on that network.</summary>
    Private,

    /// <summary>0.0.0.0/8, ::: no host has it.</summary>
    Unspecified,

    /// <summary>255.255.255.255.</summary>
    Broadcast,

    /// <summary>224.0.0.0/4, ff00::/8.</summary>
    Multicast,

    /// <summary>240.0.0.0/4 (but broadcast), ::/96 (IPv4-compatible): not in use.</summary>
    Reserved,
}

/// <summary>
/// The address ranges the node's defences use: what kind an address is (junk a reply may name, or
/// an address of a network we may not be on) and the /24 (IPv4) or /64 (IPv6) an address belongs to
/// (IP diversity). Allocates nothing.
/// </summary>
internal static class IpRanges
{
    /// <summary>What kind of address <paramref name="address"/> is (an IPv4-mapped IPv6 address is classified as its IPv4 address).</summary>
    public static AddressKind Classify(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int length);
        if (length == 16 && address.IsIPv4MappedToIPv6)
        {
            b[12..16].CopyTo(b);
            length = 4;
        }

        if (length == 4)
        {
            return b[0] switch
            {
                0 => AddressKind.Unspecified,
                127 => AddressKind.Loopback,
                10 => AddressKind.Private,
                100 when (b[1] & 0xc0) == 64 => AddressKind.Private,
                169 when b[1] == 254 => AddressKind.Private,
                172 when (b[1] & 0xf0) == 16 => AddressKind.Private,
                192 when b[1] == 168 => AddressKind.Private,
                255 when b[1] == 255 && b[2] == 255 && b[3] == 255 => AddressKind.Broadcast,
                >= 240 => AddressKind.Reserved,
                >= 224 => AddressKind.Multicast,
                _ => AddressKind.Public,
            };
        }

        if (b[0] == 0xff)
        {
            return AddressKind.Multicast;
        }

        if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0x80) == 0x80))
        {
            return AddressKind.Private; // fc00::/7 unique-local; fe80::/10 link-local and fec0::/10 site-local
        }

        if (BinaryPrimitives.ReadUInt64BigEndian(b) == 0 && BinaryPrimitives.ReadUInt32BigEndian(b[8..]) == 0)
        {
            uint low = BinaryPrimitives.ReadUInt32BigEndian(b[12..]);
            return low switch
            {
                0 => AddressKind.Unspecified,
                1 => AddressKind.Loopback,
                _ => AddressKind.Reserved,
            };
        }

        return AddressKind.Public;
    }

    /// <summary>Whether nothing can be reached at an address of this kind, wherever we are.</summary>
    public static bool IsJunk(AddressKind kind) => kind >= AddressKind.Unspecified;

    /// <summary>
    /// The /24 of an IPv4 address or the /64 of an IPv6 address, as a number: two addresses of one
    /// family are in the same range when their keys are equal.
    /// </summary>
    public static ulong PrefixKey(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out int length);
        if (length == 16 && address.IsIPv4MappedToIPv6)
        {
            return BinaryPrimitives.ReadUInt32BigEndian(b[12..]) >> 8;
        }

        return length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(b) >> 8 : BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    /// <summary>Whether two addresses of one family are in the same /24 (IPv4) or /64 (IPv6).</summary>
    public static bool SamePrefix(IPAddress a, IPAddress b) =>
        (a.AddressFamily == AddressFamily.InterNetworkV6 && !a.IsIPv4MappedToIPv6) == (b.AddressFamily == AddressFamily.InterNetworkV6 && !b.IsIPv4MappedToIPv6)
        && PrefixKey(a) == PrefixKey(b);

    /// <summary>Whether the IP-diversity rules apply to <paramref name="address"/> under <paramref name="diversity"/>.</summary>
    public static bool IsRestricted(IPAddress address, IpDiversity diversity) => diversity switch
    {
        IpDiversity.Off => false,
        IpDiversity.All => true,
        _ => !SecureNodeId.IsExempt(address),
    };
}
