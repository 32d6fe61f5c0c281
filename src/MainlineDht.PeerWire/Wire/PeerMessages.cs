using System.Buffers.Binary;

namespace MainlineDht.PeerWire.Wire;

/// <summary>
/// Writes BEP 3 messages (4-byte big-endian length, 1-byte id, payload) into a caller's span and
/// returns how many bytes were written.
/// </summary>
internal static class PeerMessages
{
    /// <summary>The 4-byte length prefix and the id.</summary>
    public const int HeaderLength = 5;

    /// <summary>A <c>request</c> or <c>cancel</c> message on the wire: 4 + 1 + 12 bytes.</summary>
    public const int RequestLength = 17;

    /// <summary>Length 0: nothing but the prefix.</summary>
    public static int WriteKeepAlive(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0);
        return 4;
    }

    /// <summary><c>choke</c>, <c>unchoke</c>, <c>interested</c> or <c>not interested</c>: length 1, the id.</summary>
    public static int WriteSimple(Span<byte> destination, PeerMessageId id)
    {
        if (id > PeerMessageId.NotInterested)
        {
            throw new ArgumentOutOfRangeException(nameof(id), id, "Only choke, unchoke, interested and not interested have no payload.");
        }

        return WriteHeader(destination, id, 0);
    }

    /// <summary><c>have</c>: the piece index.</summary>
    public static int WriteHave(Span<byte> destination, int piece)
    {
        int n = WriteHeader(destination, PeerMessageId.Have, 4);
        BinaryPrimitives.WriteInt32BigEndian(destination[n..], piece);
        return n + 4;
    }

    /// <summary><c>bitfield</c>: one bit per piece, high bit of the first byte for piece 0.</summary>
    public static int WriteBitfield(Span<byte> destination, ReadOnlySpan<byte> bits)
    {
        int n = WriteHeader(destination, PeerMessageId.Bitfield, bits.Length);
        bits.CopyTo(destination[n..]);
        return n + bits.Length;
    }

    /// <summary><c>request</c>: piece index, offset in the piece, block length.</summary>
    public static int WriteRequest(Span<byte> destination, int piece, int offset, int length) =>
        WriteBlockReference(destination, PeerMessageId.Request, piece, offset, length);

    /// <summary><c>cancel</c>: the same fields as the <c>request</c> it cancels.</summary>
    public static int WriteCancel(Span<byte> destination, int piece, int offset, int length) =>
        WriteBlockReference(destination, PeerMessageId.Cancel, piece, offset, length);

    /// <summary><c>piece</c>: piece index, offset, then the block's bytes.</summary>
    public static int WritePiece(Span<byte> destination, int piece, int offset, ReadOnlySpan<byte> block)
    {
        int n = WriteHeader(destination, PeerMessageId.Piece, 8 + block.Length);
        BinaryPrimitives.WriteInt32BigEndian(destination[n..], piece);
        BinaryPrimitives.WriteInt32BigEndian(destination[(n + 4)..], offset);
        block.CopyTo(destination[(n + 8)..]);
        return n + 8 + block.Length;
    }

    /// <summary><c>port</c> (BEP 5): the sender's DHT port, 2 bytes.</summary>
    public static int WritePort(Span<byte> destination, int port)
    {
        int n = WriteHeader(destination, PeerMessageId.Port, 2);
        BinaryPrimitives.WriteUInt16BigEndian(destination[n..], checked((ushort)port));
        return n + 2;
    }

    /// <summary><c>extended</c> (BEP 10): the extended message id (0 for the handshake), then its payload.</summary>
    public static int WriteExtended(Span<byte> destination, byte extendedId, ReadOnlySpan<byte> payload)
    {
        int n = WriteHeader(destination, PeerMessageId.Extended, 1 + payload.Length);
        destination[n] = extendedId;
        payload.CopyTo(destination[(n + 1)..]);
        return n + 1 + payload.Length;
    }

    private static int WriteBlockReference(Span<byte> destination, PeerMessageId id, int piece, int offset, int length)
    {
        int n = WriteHeader(destination, id, 12);
        BinaryPrimitives.WriteInt32BigEndian(destination[n..], piece);
        BinaryPrimitives.WriteInt32BigEndian(destination[(n + 4)..], offset);
        BinaryPrimitives.WriteInt32BigEndian(destination[(n + 8)..], length);
        return n + 12;
    }

    private static int WriteHeader(Span<byte> destination, PeerMessageId id, int payloadLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(1 + payloadLength));
        destination[4] = (byte)id;
        return HeaderLength;
    }
}
