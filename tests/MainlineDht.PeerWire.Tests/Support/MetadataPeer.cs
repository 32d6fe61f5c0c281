using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>How a scripted peer serves metadata (BEP 9): right by default, with the faults a test turns on.</summary>
internal sealed record MetadataPeerBehaviour
{
    /// <summary>Sets the BEP 10 bit in its handshake.</summary>
    public bool Extensions { get; init; } = true;

    /// <summary>Its own ut_metadata id (what our requests must carry).</summary>
    public byte UtMetadataId { get; init; } = 7;

    /// <summary>Offers no ut_metadata in its extended handshake.</summary>
    public bool NoUtMetadata { get; init; }

    /// <summary>The metadata_size it announces (null: the real one; -1: none).</summary>
    public long? AnnouncedSize { get; init; }

    /// <summary>The total_size in its data messages (null: the announced size).</summary>
    public long? TotalSize { get; init; }

    /// <summary>The metadata it serves instead of the real one (same length: a hash mismatch).</summary>
    public byte[]? ServedMetadata { get; init; }

    /// <summary>The piece index it puts in its data messages instead of the one requested.</summary>
    public int? PieceIndex { get; init; }

    /// <summary>Bytes added to (or, negative, cut from) each piece's data.</summary>
    public int DataLengthError { get; init; }

    /// <summary>Rejects every request.</summary>
    public bool Reject { get; init; }

    /// <summary>Sends half of the data message for this piece, then closes.</summary>
    public int? DisconnectAtPiece { get; init; }

    /// <summary>Answers the handshake, then says nothing.</summary>
    public bool Silent { get; init; }

    /// <summary>How long it waits before its extended handshake.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Raw bytes sent right after its handshake.</summary>
    public byte[]? Flood { get; init; }
}

/// <summary>A scripted peer that has a torrent's metadata; it records what it received.</summary>
internal sealed partial class MetadataPeer(byte[] metadata, MetadataPeerBehaviour? behaviour = null)
{
    private readonly MetadataPeerBehaviour _behaviour = behaviour ?? new MetadataPeerBehaviour();

    /// <summary>Our handshake as it arrived.</summary>
    public byte[]? Handshake { get; private set; }

    /// <summary>Our extended handshake's payload as it arrived.</summary>
    public byte[]? ExtendedHandshake { get; private set; }

    /// <summary>Every ut_metadata message we sent it: the extended id it carried, and its payload.</summary>
    public ConcurrentQueue<(byte ExtendedId, byte[] Payload)> Requests { get; } = new();

    public async Task RunAsync(PeerScript peer)
    {
        (var infoHash, _, _, byte[] raw) = await peer.ReadHandshakeAsync();
        Handshake = raw;
        await peer.SendHandshakeAsync(infoHash, _behaviour.Extensions);
        if (_behaviour.Flood is not null)
        {
            await peer.SendAsync(_behaviour.Flood);
        }

        if (_behaviour.Silent || !_behaviour.Extensions)
        {
            await peer.DrainAsync();
            return;
        }

        await Task.Delay(_behaviour.Delay, peer.Stop);
        string m = _behaviour.NoUtMetadata ? "de" : $"d11:ut_metadatai{_behaviour.UtMetadataId}ee";
        long size = _behaviour.AnnouncedSize ?? metadata.Length;
        string sizeField = size == -1 ? "" : $"13:metadata_sizei{size}e";
        await peer.SendExtendedAsync(0, Bytes.Latin1($"d1:m{m}{sizeField}1:v12:FakePeer 1.0e"));
        int theirId = 0;
        byte[] served = _behaviour.ServedMetadata ?? metadata;
        while (true)
        {
            (byte id, byte[] payload) = await peer.ReadExtendedAsync();
            if (id == 0)
            {
                ExtendedHandshake = payload;
                theirId = int.Parse(UtMetadataId().Match(Bytes.Text(payload)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                continue;
            }

            Requests.Enqueue((id, payload));
            int piece = int.Parse(RequestedPiece().Match(Bytes.Text(payload)).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (_behaviour.Reject)
            {
                await peer.SendExtendedAsync((byte)theirId, Bytes.Latin1($"d8:msg_typei2e5:piecei{piece}ee"));
                continue;
            }

            int offset = piece * 16384;
            int length = Math.Min(16384, served.Length - offset) + _behaviour.DataLengthError;
            byte[] data = served.AsSpan(offset, Math.Min(length, served.Length - offset)).ToArray();
            if (data.Length < length)
            {
                data = [.. data, .. new byte[length - data.Length]];
            }

            byte[] message = [.. Bytes.Latin1($"d8:msg_typei1e5:piecei{_behaviour.PieceIndex ?? piece}e10:total_sizei{_behaviour.TotalSize ?? size}ee"), .. data];
            if (_behaviour.DisconnectAtPiece == piece)
            {
                byte[] full = [0, 0, 0, 0, 20, (byte)theirId, .. message];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(full, full.Length - 4);
                await peer.SendAsync(full[..(full.Length / 2)]);
                return;
            }

            await peer.SendExtendedAsync((byte)theirId, message);
        }
    }

    [GeneratedRegex(@"11:ut_metadatai(\d+)e")]
    private static partial Regex UtMetadataId();

    [GeneratedRegex(@"5:piecei(\d+)e")]
    private static partial Regex RequestedPiece();
}
