using System.Security.Cryptography;
using MainlineDht.PeerWire.Wire;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Metadata;

/// <summary>
/// The metadata exchange with one peer over an open connection: BEP 3 handshake, BEP 10
/// extended handshakes, then BEP 9 <c>ut_metadata</c> requests for every 16 KiB piece, checked
/// piece by piece and, assembled, against the infohash.
/// </summary>
internal sealed class MetadataExchange
{
    /// <summary>Our own id for <c>ut_metadata</c> (the peer sends its <c>ut_metadata</c> messages with it).</summary>
    public const byte OurUtMetadataId = 3;

    private readonly PeerConnection _connection;
    private readonly NodeId _infoHash;
    private readonly MetadataFetchOptions _options;

    public MetadataExchange(PeerConnection connection, NodeId infoHash, MetadataFetchOptions options)
    {
        _connection = connection;
        _infoHash = infoHash;
        _options = options;
    }

    /// <summary>The peer's client (<c>v</c>), once its extended handshake came.</summary>
    public string? Client { get; private set; }

    /// <summary>The <c>metadata_size</c> the peer announced, once its extended handshake came.</summary>
    public long? MetadataSize { get; private set; }

    /// <summary>Runs the exchange; returns the verified metadata or throws <see cref="PeerProtocolException"/>.</summary>
    public async Task<byte[]> RunAsync(byte[] peerId, CancellationToken cancellationToken)
    {
        PeerHandshake handshake = await _connection.HandshakeAsync(_infoHash, peerId, cancellationToken).ConfigureAwait(false);
        if (!handshake.SupportsExtensions)
        {
            throw new PeerProtocolException(PeerProtocolError.NoExtensionProtocol, "the peer does not support the extension protocol (BEP 10), so it cannot send metadata");
        }

        byte[] ours = new ExtendedHandshake { UtMetadataId = OurUtMetadataId, Client = _options.ClientVersion }.Encode();
        await SendExtendedAsync(ExtendedHandshake.HandshakeId, ours, cancellationToken).ConfigureAwait(false);

        ExtendedHandshake theirs = await ReadExtendedHandshakeAsync(cancellationToken).ConfigureAwait(false);
        Client = theirs.Client;
        MetadataSize = theirs.MetadataSize;
        if (theirs.UtMetadataId == 0)
        {
            throw new PeerProtocolException(PeerProtocolError.NoMetadataExtension, "the peer's extended handshake offers no ut_metadata (BEP 9)");
        }

        if (theirs.MetadataSize is not long size || size <= 0)
        {
            throw new PeerProtocolException(PeerProtocolError.MetadataSizeMissing, theirs.MetadataSize is null
                ? "the peer's extended handshake has no metadata_size"
                : $"the peer announced metadata_size {theirs.MetadataSize}");
        }

        if (size > _options.MaxMetadataSize)
        {
            // Refused before allocating anything for it.
            throw new PeerProtocolException(PeerProtocolError.MetadataTooLarge,
                $"the peer announced metadata_size {size}; at most {_options.MaxMetadataSize} bytes are accepted");
        }

        byte[] metadata = await DownloadAsync(theirs.UtMetadataId, (int)size, cancellationToken).ConfigureAwait(false);
        byte[] hash = SHA1.HashData(metadata);
        if (new NodeId(hash) != _infoHash)
        {
            throw new PeerProtocolException(PeerProtocolError.MetadataHashMismatch,
                $"the peer's {size} bytes of metadata hash to {Convert.ToHexStringLower(hash)}, not the infohash {_infoHash}");
        }

        return metadata;
    }

    private async Task<ExtendedHandshake> ReadExtendedHandshakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            PeerMessage message = await _connection.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (message.Id != PeerMessageId.Extended)
            {
                continue; // bitfield, have, unchoke, port, keep-alive: nothing to do with metadata
            }

            // Anything else before its handshake (a ut_metadata request for ours) cannot be
            // answered yet: its ids are unknown until then.
            if (message.Payload.Span[0] == ExtendedHandshake.HandshakeId)
            {
                return ExtendedHandshake.Decode(message.Payload.Span[1..]);
            }
        }
    }

    private async Task<byte[]> DownloadAsync(byte theirId, int size, CancellationToken cancellationToken)
    {
        int pieces = (size + UtMetadataMessage.PieceLength - 1) / UtMetadataMessage.PieceLength;
        byte[] metadata = new byte[size];
        bool[] received = new bool[pieces];
        int requested = 0, done = 0;
        while (requested < Math.Min(pieces, _options.RequestPipeline))
        {
            await SendExtendedAsync(theirId, UtMetadataMessage.EncodeRequest(requested++), cancellationToken).ConfigureAwait(false);
        }

        while (done < pieces)
        {
            PeerMessage message = await _connection.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (message.Id != PeerMessageId.Extended)
            {
                continue;
            }

            byte extendedId = message.Payload.Span[0];
            if (extendedId != OurUtMetadataId)
            {
                continue; // a repeated handshake or another extension's message
            }

            UtMetadataMessage m = UtMetadataMessage.Decode(message.Payload.Span[1..]);
            switch ((UtMetadataType)m.Type)
            {
                case UtMetadataType.Data:
                    ReadOnlySpan<byte> data = message.Payload.Span[(1 + m.DataOffset)..];
                    Accept(m, data, metadata, received, requested, pieces);
                    done++;
                    if (requested < pieces)
                    {
                        await SendExtendedAsync(theirId, UtMetadataMessage.EncodeRequest(requested++), cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case UtMetadataType.Reject:
                    throw new PeerProtocolException(PeerProtocolError.MetadataRejected, $"the peer rejected the request for metadata piece {m.Piece}");
                case UtMetadataType.Request:
                    await SendExtendedAsync(theirId, UtMetadataMessage.EncodeReject((int)Math.Clamp(m.Piece, 0, int.MaxValue)), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    break; // BEP 9: ignore unknown message types
            }
        }

        return metadata;
    }

    /// <summary>Checks a data message against what was asked and copies its piece into place.</summary>
    private static void Accept(UtMetadataMessage m, ReadOnlySpan<byte> data, byte[] metadata, bool[] received, int requested, int pieces)
    {
        if (m.TotalSize is long total && total != metadata.Length)
        {
            throw new PeerProtocolException(PeerProtocolError.MetadataSizeMismatch,
                $"the peer's metadata piece says total_size {total}, but its handshake announced metadata_size {metadata.Length}");
        }

        if (m.Piece < 0 || m.Piece >= requested || received[m.Piece])
        {
            throw new PeerProtocolException(PeerProtocolError.WrongMetadataPiece, m.Piece < 0 || m.Piece >= pieces
                ? $"the peer sent metadata piece {m.Piece}; the metadata has pieces 0 to {pieces - 1}"
                : m.Piece >= requested ? $"the peer sent metadata piece {m.Piece}, which was not requested" : $"the peer sent metadata piece {m.Piece} twice");
        }

        int piece = (int)m.Piece;
        int offset = piece * UtMetadataMessage.PieceLength;
        int expected = Math.Min(UtMetadataMessage.PieceLength, metadata.Length - offset);
        if (data.Length != expected)
        {
            throw new PeerProtocolException(PeerProtocolError.WrongMetadataPiece,
                $"the peer's metadata piece {piece} has {data.Length} bytes; it must have {expected}");
        }

        data.CopyTo(metadata.AsSpan(offset));
        received[piece] = true;
    }

    private async ValueTask SendExtendedAsync(byte extendedId, byte[] payload, CancellationToken cancellationToken)
    {
        byte[] message = new byte[PeerMessages.HeaderLength + 1 + payload.Length];
        PeerMessages.WriteExtended(message, extendedId, payload);
        await _connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }
}
