using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>
/// How a scripted seeder behaves: a correct BEP 3 seeder by default (bitfield, unchoke on
/// interested, every requested block), with the faults a test turns on.
/// </summary>
internal sealed record SeederBehaviour
{
    /// <summary>Pieces it has; null: all.</summary>
    public bool[]? Has { get; init; }

    /// <summary>Pieces whose blocks it sends with one byte flipped.</summary>
    public IReadOnlySet<int> CorruptPieces { get; init; } = new HashSet<int>();

    /// <summary>Corrupt every piece.</summary>
    public bool CorruptAll { get; init; }

    /// <summary>Closes the connection after sending this many blocks.</summary>
    public int? DisconnectAfterBlocks { get; init; }

    /// <summary>Waits this long before unchoking.</summary>
    public TimeSpan UnchokeDelay { get; init; }

    /// <summary>Never unchokes.</summary>
    public bool NeverUnchoke { get; init; }

    /// <summary>After this many blocks: choke (dropping the requests it holds), wait 100 ms, unchoke.</summary>
    public int? ChokeAfterBlocks { get; init; }

    /// <summary>The bitfield to send instead of the right one.</summary>
    public byte[]? Bitfield { get; init; }

    /// <summary>Sent right after the bitfield.</summary>
    public byte[]? Extra { get; init; }

    /// <summary>Blocks are sent this many bytes longer than asked.</summary>
    public int BlockLengthError { get; init; }

    /// <summary>Wait 300 ms after the first request and take every request that came before answering (to count the pipeline).</summary>
    public bool CollectRequests { get; init; }

    /// <summary>Its client name in the extended handshake.</summary>
    public string Client { get; init; } = "FakeSeeder 1.0";
}

/// <summary>A scripted seeder of a <see cref="TestTorrent"/>: its pieces (BEP 3) and its metadata (BEP 9).</summary>
internal sealed partial class Seeder
{
    private readonly TestTorrent _torrent;
    private readonly SeederBehaviour _behaviour;

    public Seeder(TestTorrent torrent, SeederBehaviour? behaviour = null)
    {
        _torrent = torrent;
        _behaviour = behaviour ?? new SeederBehaviour();
    }

    /// <summary>Every request it received: (piece, offset, length).</summary>
    public ConcurrentQueue<(int Piece, int Offset, int Length)> Requests { get; } = new();

    /// <summary>How many requests had arrived when it answered the first (with <see cref="SeederBehaviour.CollectRequests"/>).</summary>
    public int RequestsBeforeFirstAnswer { get; private set; }

    public int BlocksSent => _blocksSent;

    private int _blocksSent;

    public async Task RunAsync(PeerScript peer)
    {
        (var infoHash, _, _, _) = await peer.ReadHandshakeAsync();
        await peer.SendHandshakeAsync(infoHash);
        await peer.SendExtendedAsync(0, Bytes.Latin1($"d1:md11:ut_metadatai2ee13:metadata_sizei{_torrent.Metadata.Length}e4:reqqi500e1:v{_behaviour.Client.Length}:{_behaviour.Client}e"));
        await peer.SendMessageAsync(5, _behaviour.Bitfield ?? Bitfield());
        if (_behaviour.Extra is not null)
        {
            await peer.SendAsync(_behaviour.Extra);
        }

        bool unchoked = false;
        byte theirUtMetadata = 0;
        var pending = new Queue<(int Piece, int Offset, int Length)>();
        while (true)
        {
            (int id, byte[] payload) = await peer.ReadMessageAsync();
            if (id == 2 && !unchoked && !_behaviour.NeverUnchoke)
            {
                await Task.Delay(_behaviour.UnchokeDelay, peer.Stop);
                await peer.SendMessageAsync(1, []);
                unchoked = true;
            }
            else if (id == 20 && payload[0] == 0)
            {
                // Their extended handshake: their ut_metadata id, if they ask for metadata.
                System.Text.RegularExpressions.Match m = UtMetadataId().Match(Bytes.Text(payload));
                theirUtMetadata = m.Success ? byte.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : (byte)0;
            }
            else if (id == 20 && payload[0] == 2 && theirUtMetadata != 0)
            {
                // A BEP 9 request for a piece of the metadata.
                int piece = int.Parse(RequestedPiece().Match(Bytes.Text(payload)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                byte[] metadata = _torrent.Metadata;
                byte[] data = metadata.AsSpan(piece * 16384, Math.Min(16384, metadata.Length - piece * 16384)).ToArray();
                await peer.SendExtendedAsync(theirUtMetadata, [.. Bytes.Latin1($"d8:msg_typei1e5:piecei{piece}e10:total_sizei{metadata.Length}ee"), .. data]);
            }
            else if (id == 6)
            {
                var request = (BinaryPrimitives.ReadInt32BigEndian(payload), BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)), BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(8)));
                Requests.Enqueue(request);
                pending.Enqueue(request);
                if (_behaviour.CollectRequests && _blocksSent == 0)
                {
                    // Let every request the downloader pipelines arrive before answering any.
                    await Task.Delay(300, peer.Stop);
                    while (peer.Stream.DataAvailable)
                    {
                        (int nextId, byte[] next) = await peer.ReadMessageAsync();
                        if (nextId == 6)
                        {
                            var more = (BinaryPrimitives.ReadInt32BigEndian(next), BinaryPrimitives.ReadInt32BigEndian(next.AsSpan(4)), BinaryPrimitives.ReadInt32BigEndian(next.AsSpan(8)));
                            Requests.Enqueue(more);
                            pending.Enqueue(more);
                        }
                    }

                    RequestsBeforeFirstAnswer = pending.Count;
                }

                if (!await AnswerAsync(peer, pending))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Sends the blocks asked for; false when the script is to end (a disconnect).</summary>
    private async Task<bool> AnswerAsync(PeerScript peer, Queue<(int Piece, int Offset, int Length)> pending)
    {
        while (pending.TryDequeue(out var request))
        {
            if (_behaviour.DisconnectAfterBlocks is int limit && _blocksSent >= limit)
            {
                return false; // closes the connection
            }

            byte[] block = _torrent.Data.AsSpan(request.Piece * _torrent.Info.PieceLength + request.Offset, request.Length + _behaviour.BlockLengthError).ToArray();
            if (_behaviour.CorruptAll || _behaviour.CorruptPieces.Contains(request.Piece))
            {
                block[0] ^= 0xff;
            }

            byte[] payload = new byte[8 + block.Length];
            BinaryPrimitives.WriteInt32BigEndian(payload, request.Piece);
            BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), request.Offset);
            block.CopyTo(payload, 8);
            await peer.SendMessageAsync(7, payload);
            int sent = Interlocked.Increment(ref _blocksSent);
            if (_behaviour.ChokeAfterBlocks == sent)
            {
                await peer.SendMessageAsync(0, []);
                pending.Clear();
                await Task.Delay(100, peer.Stop);
                await peer.SendMessageAsync(1, []);
            }
        }

        return true;
    }

    private byte[] Bitfield()
    {
        int count = _torrent.Info.PieceCount;
        byte[] bits = new byte[(count + 7) / 8];
        for (int i = 0; i < count; i++)
        {
            if (_behaviour.Has?[i] ?? true)
            {
                bits[i >> 3] |= (byte)(0x80 >> (i & 7));
            }
        }

        return bits;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"11:ut_metadatai(\d+)e")]
    private static partial System.Text.RegularExpressions.Regex UtMetadataId();

    [System.Text.RegularExpressions.GeneratedRegex(@"5:piecei(\d+)e")]
    private static partial System.Text.RegularExpressions.Regex RequestedPiece();
}
