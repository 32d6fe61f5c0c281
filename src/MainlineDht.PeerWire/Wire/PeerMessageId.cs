namespace MainlineDht.PeerWire.Wire;

/// <summary>The one-byte id after a message's length prefix (BEP 3, BEP 5's <c>port</c>, BEP 10's <c>extended</c>).</summary>
internal enum PeerMessageId : byte
{
    Choke = 0,
    Unchoke = 1,
    Interested = 2,
    NotInterested = 3,
    Have = 4,
    Bitfield = 5,
    Request = 6,
    Piece = 7,
    Cancel = 8,
    Port = 9,
    Extended = 20,

    /// <summary>Not on the wire: a message of length 0.</summary>
    KeepAlive = 255,
}

/// <summary>
/// One message read from a peer. <see cref="Payload"/> (the bytes after the id) is a slice of the
/// connection's receive buffer: valid until the next read on that connection.
/// </summary>
internal readonly record struct PeerMessage(PeerMessageId Id, ReadOnlyMemory<byte> Payload)
{
    public static PeerMessage KeepAlive => new(PeerMessageId.KeepAlive, ReadOnlyMemory<byte>.Empty);
}
