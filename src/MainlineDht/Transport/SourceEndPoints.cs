using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Transport;

/// <summary>
/// The endpoints of recent senders, so that a datagram from a known sender hands the node the same
/// <see cref="IPEndPoint"/> again instead of a new one: a direct-mapped table of
/// <see cref="Slots"/> entries keyed by the raw socket address (address, port and IPv6 scope), so it
/// holds up to that many senders (two that share a slot take turns) and its memory is fixed. Used by
/// one receive thread only.
/// </summary>
internal sealed class SourceEndPoints
{
    /// <summary>How many senders the table can hold.</summary>
    public const int Slots = 4096;

    private readonly Entry[] _entries = new Entry[Slots];
    private readonly IPEndPoint _template;

    /// <param name="template">An endpoint of the socket's family (<see cref="EndPoint.Create"/> builds the new ones).</param>
    public SourceEndPoints(IPEndPoint template) => _template = template;

    /// <summary>The endpoint of <paramref name="address"/> (just received): the cached one, or a new one that replaces its slot's.</summary>
    public IPEndPoint Get(SocketAddress address)
    {
        if (!TryKey(address.Family, address.Buffer.Span[..address.Size], out Key key))
        {
            return (IPEndPoint)_template.Create(address); // a family we do not expect: not cached
        }

        ulong mixed = (key.A * 0x9E3779B97F4A7C15UL) ^ (key.B * 0xC2B2AE3D27D4EB4FUL) ^ (key.C * 0x165667B19E3779F9UL);
        ref Entry entry = ref _entries[(int)(mixed >> 52) & (Slots - 1)];
        if (entry.EndPoint is IPEndPoint known && entry.Key == key)
        {
            return known;
        }

        var endPoint = (IPEndPoint)_template.Create(address);
        entry = new Entry(key, endPoint);
        return endPoint;
    }

    /// <summary>
    /// The socket address as three 64-bit words, exactly (two senders never share a key): for IPv4
    /// (sockaddr_in) its port and address, and a mark no IPv6 key has; for IPv6 (sockaddr_in6) its
    /// address, then its port and scope id. The flow label does not name the sender.
    /// </summary>
    private static bool TryKey(AddressFamily family, ReadOnlySpan<byte> raw, out Key key)
    {
        if (family == AddressFamily.InterNetwork && raw.Length >= 8)
        {
            // port (bytes 2–3) and address (bytes 4–7).
            key = new Key(BinaryPrimitives.ReadUInt16LittleEndian(raw[2..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(raw[4..]) << 16), 0, 1UL << 63);
            return true;
        }

        if (family == AddressFamily.InterNetworkV6 && raw.Length >= 28)
        {
            // port (2–3), address (8–23), scope id (24–27).
            key = new Key(
                BinaryPrimitives.ReadUInt64LittleEndian(raw[8..]),
                BinaryPrimitives.ReadUInt64LittleEndian(raw[16..]),
                BinaryPrimitives.ReadUInt16LittleEndian(raw[2..]) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(raw[24..]) << 16));
            return true;
        }

        key = default;
        return false;
    }

    private readonly record struct Key(ulong A, ulong B, ulong C);

    private readonly record struct Entry(Key Key, IPEndPoint? EndPoint);
}
