using MainlineDht.Bencode;

namespace MainlineDht.PeerWire.Metadata;

/// <summary>The <c>msg_type</c> of a BEP 9 <c>ut_metadata</c> message.</summary>
internal enum UtMetadataType
{
    Request = 0,
    Data = 1,
    Reject = 2,
}

/// <summary>
/// A BEP 9 <c>ut_metadata</c> message: a bencoded dictionary <c>{msg_type, piece[, total_size]}</c>;
/// a data message carries the piece's raw bytes right after the dictionary.
/// </summary>
internal readonly record struct UtMetadataMessage(long Type, long Piece, long? TotalSize, int DataOffset)
{
    /// <summary>The size of a metadata piece; the last piece may be shorter.</summary>
    public const int PieceLength = 16 * 1024;

    /// <summary>A request for <paramref name="piece"/>: <c>d8:msg_typei0e5:piecei{piece}ee</c>.</summary>
    public static byte[] EncodeRequest(int piece) => Encode(UtMetadataType.Request, piece, null, []);

    /// <summary>A reject of <paramref name="piece"/>: <c>d8:msg_typei2e5:piecei{piece}ee</c>.</summary>
    public static byte[] EncodeReject(int piece) => Encode(UtMetadataType.Reject, piece, null, []);

    /// <summary>A data message: the dictionary with <c>total_size</c>, then <paramref name="data"/>.</summary>
    public static byte[] EncodeData(int piece, long totalSize, ReadOnlySpan<byte> data) => Encode(UtMetadataType.Data, piece, totalSize, data);

    /// <summary>
    /// Reads a message; bytes after the dictionary are its data (<see cref="DataOffset"/>).
    /// Malformed bencode or a missing <c>msg_type</c> or <c>piece</c> is a
    /// <see cref="PeerProtocolError.MalformedExtendedMessage"/>. Unknown keys are ignored.
    /// </summary>
    public static UtMetadataMessage Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new BencodeReader(payload);
        long? type = null, piece = null, totalSize = null;
        if (!reader.TryRead() || reader.TokenType != BencodeTokenType.StartDictionary)
        {
            throw Malformed("is not a dictionary", reader);
        }

        // The dictionary ends before the data: stop at its end, never reading the data as bencode.
        while (!reader.IsComplete && reader.TryRead() && reader.TokenType == BencodeTokenType.Key)
        {
            int key = reader.ValueTextEquals("msg_type"u8) ? 1 : reader.ValueTextEquals("piece"u8) ? 2 : reader.ValueTextEquals("total_size"u8) ? 3 : 0;
            if (!reader.TryRead())
            {
                break;
            }

            if (reader.TokenType == BencodeTokenType.Integer)
            {
                switch (key)
                {
                    case 1: type = reader.IntegerValue; break;
                    case 2: piece = reader.IntegerValue; break;
                    case 3: totalSize = reader.IntegerValue; break;
                }
            }
            else if (reader.TokenType is BencodeTokenType.StartList or BencodeTokenType.StartDictionary)
            {
                reader.TrySkip();
            }
        }

        if (reader.Error != BencodeError.None || !reader.IsComplete)
        {
            throw Malformed("is not a well-formed dictionary", reader);
        }

        if (type is null || piece is null)
        {
            throw Malformed(type is null ? "has no msg_type" : "has no piece", reader);
        }

        return new UtMetadataMessage(type.Value, piece.Value, totalSize, reader.BytesConsumed);
    }

    private static byte[] Encode(UtMetadataType type, int piece, long? totalSize, ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[96];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteInteger("msg_type"u8, (long)type);
        writer.WriteInteger("piece"u8, piece);
        if (totalSize is long size)
        {
            writer.WriteInteger("total_size"u8, size);
        }

        writer.WriteEnd();
        byte[] message = new byte[writer.BytesWritten + data.Length];
        writer.WrittenSpan.CopyTo(message);
        data.CopyTo(message.AsSpan(writer.BytesWritten));
        return message;
    }

    private static PeerProtocolException Malformed(string what, BencodeReader reader) =>
        new(PeerProtocolError.MalformedExtendedMessage, reader.Error == BencodeError.None
            ? $"the ut_metadata message {what}"
            : $"the ut_metadata message {what}: {BencodeException.Describe(reader.Error)} at byte {reader.ErrorOffset}");
}
