using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace MainlineDht.Protocol;

/// <summary>
/// BEP 42 node-id restrictions: the first 21 bits of a node id are derived from the node's
/// external IP address (crc32c over the masked address and 3 random bits), and the last byte
/// carries the random value used.
/// </summary>
public static class SecureNodeId
{
    private static ReadOnlySpan<byte> V4Mask => [0x03, 0x0f, 0x3f, 0xff];

    private static ReadOnlySpan<byte> V6Mask => [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff];

    /// <summary>
    /// Creates a node id valid for <paramref name="externalAddress"/>: the BEP 42 prefix, random
    /// middle bytes from <paramref name="random"/>, and <paramref name="r"/> (0–255) as last byte.
    /// </summary>
    public static NodeId Create(IPAddress externalAddress, byte r, Random random)
    {
        ArgumentNullException.ThrowIfNull(externalAddress);
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> id = stackalloc byte[NodeId.Size];
        random.NextBytes(id);
        uint crc = Prefix(externalAddress, r);
        id[0] = (byte)(crc >> 24);
        id[1] = (byte)(crc >> 16);
        id[2] = (byte)(((crc >> 8) & 0xf8) | (uint)(id[2] & 0x7));
        id[19] = r;
        return new NodeId(id);
    }

    /// <summary>
    /// The id BEP 42 allows for <paramref name="externalAddress"/> that is closest in spirit to
    /// <paramref name="current"/>: its random byte (the last one, <c>r</c>) and every bit BEP 42 does
    /// not fix are kept, the first 21 bits are derived from the address with that <c>r</c>. Deriving
    /// again for another address changes only those 21 bits.
    /// </summary>
    public static NodeId Derive(NodeId current, IPAddress externalAddress)
    {
        ArgumentNullException.ThrowIfNull(externalAddress);
        Span<byte> id = stackalloc byte[NodeId.Size];
        current.WriteTo(id);
        uint crc = Prefix(externalAddress, id[19]);
        id[0] = (byte)(crc >> 24);
        id[1] = (byte)(crc >> 16);
        id[2] = (byte)(((crc >> 8) & 0xf8) | (uint)(id[2] & 0x7));
        return new NodeId(id);
    }

    /// <summary>
    /// True when <paramref name="id"/> satisfies BEP 42 for <paramref name="address"/>. Addresses
    /// that BEP 42 exempts (loopback, private and link-local ranges) always pass.
    /// </summary>
    public static bool IsValid(NodeId id, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (IsExempt(address))
        {
            return true;
        }

        Span<byte> bytes = stackalloc byte[NodeId.Size];
        id.WriteTo(bytes);
        uint crc = Prefix(address, bytes[19]);
        return bytes[0] == (byte)(crc >> 24)
            && bytes[1] == (byte)(crc >> 16)
            && (bytes[2] & 0xf8) == ((crc >> 8) & 0xf8);
    }

    /// <summary>True for the addresses BEP 42 exempts: 10/8, 172.16/12, 192.168/16, 169.254/16, 127/8 (and IPv6 loopback, link-local and unique-local).</summary>
    public static bool IsExempt(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10 || b[0] == 127
                || (b[0] == 172 && (b[1] & 0xf0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254);
        }

        return IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6UniqueLocal || address.IsIPv6SiteLocal;
    }

    /// <summary>crc32c over the masked address with the random bits, as BEP 42 computes it.</summary>
    private static uint Prefix(IPAddress address, byte r)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> ip = stackalloc byte[16];
        address.TryWriteBytes(ip, out int length);
        ReadOnlySpan<byte> mask = length == 4 ? V4Mask : V6Mask;
        Span<byte> masked = ip[..mask.Length];
        for (int i = 0; i < mask.Length; i++)
        {
            masked[i] &= mask[i];
        }

        masked[0] |= (byte)((r & 0x7) << 5);
        uint crc = uint.MaxValue;
        foreach (byte b in masked)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
