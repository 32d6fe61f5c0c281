using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MainlineDht.Protocol;

/// <summary>A DHT node: its id and the UDP endpoint it answers on.</summary>
/// <param name="Id">The node's 160-bit id.</param>
/// <param name="EndPoint">The node's UDP endpoint.</param>
public readonly record struct NodeInfo(NodeId Id, IPEndPoint EndPoint)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Id} at {EndPoint}";
}

/// <summary>
/// The compact address formats of BEP 5 and BEP 32: a peer is 6 bytes (IPv4 + port) or 18 bytes
/// (IPv6 + port); a node is its 20-byte id followed by a compact peer (26 or 38 bytes). All numbers
/// are big-endian. IPv4-mapped IPv6 addresses are written in their 6-byte form.
/// </summary>
public static class CompactFormat
{
    /// <summary>Size of an IPv4 compact peer.</summary>
    public const int PeerV4Size = 6;

    /// <summary>Size of an IPv6 compact peer.</summary>
    public const int PeerV6Size = 18;

    /// <summary>Size of an IPv4 compact node.</summary>
    public const int NodeV4Size = NodeId.Size + PeerV4Size;

    /// <summary>Size of an IPv6 compact node.</summary>
    public const int NodeV6Size = NodeId.Size + PeerV6Size;

    /// <summary>The compact size of <paramref name="endPoint"/>: 6 for IPv4 (and mapped), 18 for IPv6.</summary>
    public static int PeerSize(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        return IsV4(endPoint.Address) ? PeerV4Size : PeerV6Size;
    }

    /// <summary>Writes <paramref name="endPoint"/> as a compact peer; returns the bytes written.</summary>
    public static int WritePeer(IPEndPoint endPoint, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        IPAddress address = endPoint.Address;
        if (IsV4(address))
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (!address.TryWriteBytes(destination, out _) || destination.Length < PeerV4Size)
            {
                throw new ArgumentException("Destination is too small for a compact IPv4 peer.", nameof(destination));
            }

            BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)endPoint.Port);
            return PeerV4Size;
        }

        if (destination.Length < PeerV6Size || !address.TryWriteBytes(destination, out _))
        {
            throw new ArgumentException("Destination is too small for a compact IPv6 peer.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], (ushort)endPoint.Port);
        return PeerV6Size;
    }

    /// <summary>The compact peer form of <paramref name="endPoint"/> in a new array.</summary>
    public static byte[] ToCompactPeer(IPEndPoint endPoint)
    {
        byte[] bytes = new byte[PeerSize(endPoint)];
        WritePeer(endPoint, bytes);
        return bytes;
    }

    /// <summary>Reads a 6- or 18-byte compact peer; false for any other length.</summary>
    public static bool TryReadPeer(ReadOnlySpan<byte> compact, out IPEndPoint endPoint)
    {
        if (compact.Length is not (PeerV4Size or PeerV6Size))
        {
            endPoint = null!;
            return false;
        }

        int addressLength = compact.Length - 2;
        endPoint = new IPEndPoint(new IPAddress(compact[..addressLength]), BinaryPrimitives.ReadUInt16BigEndian(compact[addressLength..]));
        return true;
    }

    /// <summary>Writes a compact node (id then compact peer); returns the bytes written.</summary>
    public static int WriteNode(NodeInfo node, Span<byte> destination)
    {
        node.Id.WriteTo(destination);
        return NodeId.Size + WritePeer(node.EndPoint, destination[NodeId.Size..]);
    }

    /// <summary>Reads one 26- or 38-byte compact node.</summary>
    public static bool TryReadNode(ReadOnlySpan<byte> compact, out NodeInfo node)
    {
        if (compact.Length is not (NodeV4Size or NodeV6Size) || !TryReadPeer(compact[NodeId.Size..], out IPEndPoint? endPoint))
        {
            node = default;
            return false;
        }

        node = new NodeInfo(new NodeId(compact[..NodeId.Size]), endPoint);
        return true;
    }

    /// <summary>
    /// Enumerates the whole entries of a <c>nodes</c> (26-byte entries) or <c>nodes6</c> (38-byte
    /// entries) string; a trailing partial entry is ignored.
    /// </summary>
    public static CompactNodeEnumerator EnumerateNodes(ReadOnlySpan<byte> nodes, AddressFamily family) =>
        new(nodes, family == AddressFamily.InterNetworkV6 ? NodeV6Size : NodeV4Size);

    /// <summary>Decodes a <c>nodes</c> or <c>nodes6</c> string into a new list.</summary>
    public static List<NodeInfo> ReadNodes(ReadOnlySpan<byte> nodes, AddressFamily family)
    {
        var list = new List<NodeInfo>(nodes.Length / (family == AddressFamily.InterNetworkV6 ? NodeV6Size : NodeV4Size));
        foreach (NodeInfo node in EnumerateNodes(nodes, family))
        {
            list.Add(node);
        }

        return list;
    }

    /// <summary>Encodes nodes of one family into a <c>nodes</c>/<c>nodes6</c> string; nodes of the other family are skipped.</summary>
    public static byte[] WriteNodes(IEnumerable<NodeInfo> nodes, AddressFamily family)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        bool v6 = family == AddressFamily.InterNetworkV6;
        var buffer = new List<byte>();
        Span<byte> entry = stackalloc byte[NodeV6Size];
        foreach (NodeInfo node in nodes)
        {
            if (IsV4(node.EndPoint.Address) == v6)
            {
                continue;
            }

            int n = WriteNode(node, entry);
            foreach (byte b in entry[..n])
            {
                buffer.Add(b);
            }
        }

        return [.. buffer];
    }

    internal static bool IsV4(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6;

    /// <summary>An enumerator of compact nodes over a span.</summary>
    public ref struct CompactNodeEnumerator
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly int _entrySize;
        private int _offset;

        internal CompactNodeEnumerator(ReadOnlySpan<byte> data, int entrySize)
        {
            _data = data;
            _entrySize = entrySize;
            _offset = -entrySize;
            Current = default;
        }

        /// <summary>The current node.</summary>
        public NodeInfo Current { get; private set; }

        /// <summary>This enumerator.</summary>
        public readonly CompactNodeEnumerator GetEnumerator() => this;

        /// <summary>Advances to the next whole entry.</summary>
        public bool MoveNext()
        {
            _offset += _entrySize;
            if (_offset + _entrySize > _data.Length)
            {
                return false;
            }

            TryReadNode(_data.Slice(_offset, _entrySize), out NodeInfo node);
            Current = node;
            return true;
        }
    }
}
