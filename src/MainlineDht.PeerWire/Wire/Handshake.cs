using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Wire;

/// <summary>
/// The BEP 3 handshake: <c>\x13BitTorrent protocol</c>, 8 reserved bytes, the 20-byte infohash and
/// the 20-byte peer id, 68 bytes in all.
/// </summary>
internal static class Handshake
{
    public const int Length = 68;
    public const int PeerIdLength = 20;

    /// <summary>Reserved byte 5, bit 0x10: the BEP 10 extension protocol.</summary>
    public const int ExtensionByte = 5;
    public const byte ExtensionBit = 0x10;

    /// <summary>Reserved byte 7, bit 0x01: the peer runs a DHT node (BEP 5; it may send <c>port</c>).</summary>
    public const int DhtByte = 7;
    public const byte DhtBit = 0x01;

    /// <summary>The length byte 19 and the protocol string.</summary>
    public static ReadOnlySpan<byte> Protocol => "\u0013BitTorrent protocol"u8;

    /// <summary>Writes our handshake: the extension and DHT bits set, every other reserved bit clear.</summary>
    public static void Write(Span<byte> destination, NodeId infoHash, ReadOnlySpan<byte> peerId)
    {
        if (peerId.Length != PeerIdLength)
        {
            throw new ArgumentException($"A peer id is {PeerIdLength} bytes.", nameof(peerId));
        }

        Protocol.CopyTo(destination);
        Span<byte> reserved = destination.Slice(20, 8);
        reserved.Clear();
        reserved[ExtensionByte] = ExtensionBit;
        reserved[DhtByte] = DhtBit;
        infoHash.WriteTo(destination.Slice(28, NodeId.Size));
        peerId.CopyTo(destination.Slice(48, PeerIdLength));
    }

    /// <summary>Reads a peer's handshake; a wrong protocol string is a <see cref="PeerProtocolError.BadHandshake"/>.</summary>
    public static PeerHandshake Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Length || !source[..Protocol.Length].SequenceEqual(Protocol))
        {
            throw new PeerProtocolException(PeerProtocolError.BadHandshake,
                $"the peer's handshake does not start with \\x13BitTorrent protocol (got {Convert.ToHexStringLower(source[..Math.Min(20, source.Length)])})");
        }

        ReadOnlySpan<byte> reserved = source.Slice(20, 8);
        return new PeerHandshake(
            new NodeId(source.Slice(28, NodeId.Size)),
            source.Slice(48, PeerIdLength).ToArray(),
            (reserved[ExtensionByte] & ExtensionBit) != 0,
            (reserved[DhtByte] & DhtBit) != 0);
    }
}

/// <summary>What a peer's handshake said.</summary>
internal sealed record PeerHandshake(NodeId InfoHash, byte[] PeerId, bool SupportsExtensions, bool SupportsDht);
