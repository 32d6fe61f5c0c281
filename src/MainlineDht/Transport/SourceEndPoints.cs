using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Transport;

/// <summary>
/// The endpoints of recent senders, so that a datagram from a known sender hands the node the same
/// <see cref="IPEndPoint"/> again instead of a new one: a table of <see cref="Slots"/> entries in
/// sets of eight, keyed by the raw socket address (address, port and IPv6 scope), so it holds up to
/// that many senders (a ninth sender in a set takes the oldest one's place) and its memory is fixed. The
/// receiving threads share it: a slot holds an immutable entry, replaced whole.
/// </summary>
internal sealed class SourceEndPoints
{
    /// <summary>How many senders the table can hold.</summary>
    public const int Slots = 8192;

    /// <summary>Entries per set: a sender's set is scanned whole, and a set of eight rarely overflows while the table is at most an eighth full.</summary>
    private const int Ways = 8;

    private readonly Entry?[] _entries = new Entry?[Slots];
    private readonly IPEndPoint _template;

    /// <param name="template">An endpoint of the socket's family (<see cref="EndPoint.Create"/> builds the new ones).</param>
    public SourceEndPoints(IPEndPoint template) => _template = template;

    /// <summary>The endpoint of <paramref name="address"/> (just received): the cached one, or a new one that replaces its slot's.</summary>
    public IPEndPoint Get(SocketAddress address) => Get(address.Family, address.Buffer.Span[..address.Size], address);

    /// <summary>The endpoint of the raw socket address <paramref name="raw"/> of <paramref name="family"/> (just received).</summary>
    public IPEndPoint Get(AddressFamily family, ReadOnlySpan<byte> raw) => Get(family, raw, null);

    private IPEndPoint Get(AddressFamily family, ReadOnlySpan<byte> raw, SocketAddress? address)
    {
        if (!TryKey(family, raw, out Key key))
        {
            return Create(family, raw, address); // a family we do not expect: not cached
        }

        int set = (int)(Mix(key) % (Slots / Ways)) * Ways;
        for (int i = set; i < set + Ways; i++)
        {
            if (Volatile.Read(ref _entries[i]) is not Entry entry)
            {
                break; // a set fills from its start: nothing further
            }

            if (entry.Key == key)
            {
                return entry.EndPoint;
            }
        }

        // The newest sender of the set goes first; the oldest gives way.
        IPEndPoint endPoint = Create(family, raw, address);
        for (int i = set + Ways - 1; i > set; i--)
        {
            Volatile.Write(ref _entries[i], Volatile.Read(ref _entries[i - 1]));
        }

        Volatile.Write(ref _entries[set], new Entry(key, endPoint));
        return endPoint;
    }

    private IPEndPoint Create(AddressFamily family, ReadOnlySpan<byte> raw, SocketAddress? address)
    {
        if (address is null)
        {
            address = new SocketAddress(family, raw.Length);
            raw.CopyTo(address.Buffer.Span);
        }

        return (IPEndPoint)_template.Create(address);
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

    /// <summary>A 64-bit hash of the key whose top bits pick the set (MurmurHash3's finalizer).</summary>
    private static ulong Mix(Key key) => Protocol.AddressHash.Of(key.A, key.B, key.C);

    private readonly record struct Key(ulong A, ulong B, ulong C);

    private sealed record Entry(Key Key, IPEndPoint EndPoint);
}
