using System.Buffers.Binary;
using System.Security.Cryptography;
using MainlineDht.PeerWire.Wire;

namespace MainlineDht.PeerWire.Download;

internal sealed partial class PeerSession
{
    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        bool first = true;
        while (true)
        {
            PeerMessage message = await _connection!.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            switch (message.Id)
            {
                case PeerMessageId.Choke:
                    lock (_gate)
                    {
                        _choked = true;
                    }

                    // A choking peer drops our requests (BEP 3): its pieces go to others, and are
                    // asked again once it unchokes.
                    ReleaseAll();
                    _wake.Set();
                    break;
                case PeerMessageId.Unchoke:
                    lock (_gate)
                    {
                        _choked = false;
                    }

                    _stall!.CancelAfter(_options.PeerTimeout);
                    _wake.Set();
                    break;
                case PeerMessageId.Have:
                    OnHave(BinaryPrimitives.ReadUInt32BigEndian(message.Payload.Span));
                    break;
                case PeerMessageId.Bitfield:
                    OnBitfield(message.Payload.Span, first);
                    break;
                case PeerMessageId.Piece:
                    ActivePiece? complete = OnBlock(message.Payload.Span);
                    if (complete is not null)
                    {
                        await FinishPieceAsync(complete, cancellationToken).ConfigureAwait(false);
                    }

                    _wake.Set();
                    break;
                case PeerMessageId.Extended when message.Payload.Span[0] == ExtendedHandshake.HandshakeId:
                    OnExtendedHandshake(ExtendedHandshake.Decode(message.Payload.Span[1..]));
                    break;
                default:
                    // interested, not interested, request, cancel (we never unchoke anyone), port,
                    // other extensions, keep-alives and unknown ids: nothing to do.
                    break;
            }

            first &= message.Id is PeerMessageId.Extended or PeerMessageId.Port or PeerMessageId.KeepAlive;
        }
    }

    private void OnHave(uint index)
    {
        if (index >= (uint)_has.Length)
        {
            throw new PeerProtocolException(PeerProtocolError.BadHave, $"the peer has piece {index}, but the torrent has pieces 0 to {_has.Length - 1}");
        }

        lock (_gate)
        {
            _has[index] = true;
        }

        _wake.Set();
    }

    /// <summary>BEP 3: one bit per piece, the right size, spare bits clear, right after the handshake.</summary>
    private void OnBitfield(ReadOnlySpan<byte> bits, bool first)
    {
        int expected = (_has.Length + 7) / 8;
        if (bits.Length != expected)
        {
            throw new PeerProtocolException(PeerProtocolError.BadBitfield, $"the peer's bitfield has {bits.Length} bytes; {_has.Length} pieces take {expected}");
        }

        int spare = expected * 8 - _has.Length;
        if (spare > 0 && (bits[^1] & ((1 << spare) - 1)) != 0)
        {
            throw new PeerProtocolException(PeerProtocolError.BadBitfield, "the peer's bitfield has spare bits set after the last piece");
        }

        if (!first)
        {
            throw new PeerProtocolException(PeerProtocolError.BadBitfield, "the peer sent a bitfield after other messages (BEP 3: only right after the handshake)");
        }

        lock (_gate)
        {
            for (int i = 0; i < _has.Length; i++)
            {
                _has[i] |= (bits[i >> 3] & (0x80 >> (i & 7))) != 0;
            }
        }

        _wake.Set();
    }

    private void OnExtendedHandshake(ExtendedHandshake handshake)
    {
        lock (_gate)
        {
            _client = handshake.Client ?? _client;
            if (handshake.RequestQueue is long reqq and > 0)
            {
                _pipeline = (int)Math.Min(_options.PipelineDepth, reqq);
            }
        }
    }

    /// <summary>Copies a block into its piece; returns the piece when that was its last block.</summary>
    private ActivePiece? OnBlock(ReadOnlySpan<byte> payload)
    {
        uint index = BinaryPrimitives.ReadUInt32BigEndian(payload);
        uint offset = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
        ReadOnlySpan<byte> block = payload[8..];
        if (index >= (uint)_has.Length)
        {
            throw new PeerProtocolException(PeerProtocolError.WrongBlock, $"the peer sent a block of piece {index}, but the torrent has pieces 0 to {_has.Length - 1}");
        }

        lock (_gate)
        {
            ActivePiece? piece = _active.Find(p => p.Index == index);
            uint blockIndex = offset / PeerWireLimits.BlockLength;
            if (piece is null || offset % PeerWireLimits.BlockLength != 0 || blockIndex >= (uint)piece.NextBlock || piece.Received[blockIndex])
            {
                // Not asked for, or asked of a piece since given up (a choke), or twice.
                if (++_unrequested > MaxUnrequestedBlocks)
                {
                    throw new PeerProtocolException(PeerProtocolError.UnrequestedData, $"the peer sent more than {MaxUnrequestedBlocks} blocks that were not requested");
                }

                return null;
            }

            int expected = Math.Min(PeerWireLimits.BlockLength, piece.Length - (int)offset);
            if (block.Length != expected)
            {
                throw new PeerProtocolException(PeerProtocolError.WrongBlock,
                    $"the peer sent {block.Length} bytes for the block at {offset} of piece {index}; {expected} were requested");
            }

            block.CopyTo(piece.Data[(int)offset..]);
            piece.Received[blockIndex] = true;
            piece.ReceivedCount++;
            _outstanding--;
            _stall!.CancelAfter(_options.PeerTimeout);
            if (piece.ReceivedCount < piece.BlockCount)
            {
                return null;
            }

            _active.Remove(piece);
            return piece;
        }
    }

    /// <summary>Checks a complete piece's SHA-1; writes it, or gives it back for another peer to fetch.</summary>
    private async Task FinishPieceAsync(ActivePiece piece, CancellationToken cancellationToken)
    {
        bool verified = false;
        try
        {
            Span<byte> hash = stackalloc byte[20];
            SHA1.HashData(piece.Data, hash);
            if (hash.SequenceEqual(_info.PieceHash(piece.Index)))
            {
                await _download.Storage.WritePieceAsync(piece.Index, piece.Memory, cancellationToken).ConfigureAwait(false);
                verified = true;
                _verified++;
                _download.OnPieceVerified(piece.Index, piece.Length);
                return;
            }

            int failures;
            lock (_gate)
            {
                _failed.Add(piece.Index);
                failures = ++_hashFailures;
            }

            if (failures >= _options.MaxHashFailuresPerPeer)
            {
                throw new PeerProtocolException(PeerProtocolError.TooManyHashFailures,
                    $"{failures} pieces from the peer failed their hash check (the last: piece {piece.Index})");
            }
        }
        finally
        {
            if (!verified)
            {
                _download.Picker.Release(piece.Index);
            }

            piece.Dispose();
        }
    }
}
