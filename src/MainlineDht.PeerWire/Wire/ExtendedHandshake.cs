using System.Text;
using MainlineDht.Bencode;

namespace MainlineDht.PeerWire.Wire;

/// <summary>
/// The BEP 10 extended handshake (extended message id 0): a bencoded dictionary whose <c>m</c>
/// maps extension names to the sender's own message ids (0: disabled), plus <c>metadata_size</c>
/// (BEP 9), <c>reqq</c> and <c>v</c>. Each side sends its extension messages with the ids the
/// <em>other</em> side chose.
/// </summary>
internal sealed record ExtendedHandshake
{
    /// <summary>The id of the extended handshake itself.</summary>
    public const byte HandshakeId = 0;

    /// <summary>The extension name of BEP 9.</summary>
    public static ReadOnlySpan<byte> UtMetadata => "ut_metadata"u8;

    /// <summary>The sender's id for <c>ut_metadata</c>, or 0 when it has none.</summary>
    public byte UtMetadataId { get; init; }

    /// <summary>The size of the info dictionary in bytes (BEP 9), or null when not given.</summary>
    public long? MetadataSize { get; init; }

    /// <summary>How many outstanding requests the sender takes (<c>reqq</c>), or null.</summary>
    public long? RequestQueue { get; init; }

    /// <summary>The sender's client name and version (<c>v</c>), or null.</summary>
    public string? Client { get; init; }

    /// <summary>Writes the handshake's dictionary (the payload after the extended id).</summary>
    public byte[] Encode()
    {
        byte[] client = Client is null ? [] : Encoding.UTF8.GetBytes(Client);
        Span<byte> buffer = stackalloc byte[128 + client.Length];
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteKey("m"u8);
        writer.WriteStartDictionary();
        if (UtMetadataId != 0)
        {
            writer.WriteInteger(UtMetadata, UtMetadataId);
        }

        writer.WriteEnd();
        if (MetadataSize is long size)
        {
            writer.WriteInteger("metadata_size"u8, size);
        }

        if (RequestQueue is long reqq)
        {
            writer.WriteInteger("reqq"u8, reqq);
        }

        if (Client is not null)
        {
            writer.WriteString("v"u8, client);
        }

        writer.WriteEnd();
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a peer's extended handshake; unknown keys are ignored. Malformed bencode, or a
    /// <c>ut_metadata</c> id outside 0–255, is a <see cref="PeerProtocolError.MalformedExtendedMessage"/>.
    /// </summary>
    public static ExtendedHandshake Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new BencodeReader(payload);
        byte utMetadata = 0;
        long? metadataSize = null, requestQueue = null;
        string? client = null;
        if (!reader.TryRead() || reader.TokenType != BencodeTokenType.StartDictionary)
        {
            throw Malformed(reader, "is not a dictionary");
        }

        while (reader.TryRead() && reader.TokenType == BencodeTokenType.Key)
        {
            if (reader.ValueTextEquals("m"u8))
            {
                if (!reader.TryRead())
                {
                    break;
                }

                if (reader.TokenType != BencodeTokenType.StartDictionary)
                {
                    Skip(ref reader);
                    continue;
                }

                while (reader.TryRead() && reader.TokenType == BencodeTokenType.Key)
                {
                    bool isMetadata = reader.ValueTextEquals(UtMetadata);
                    if (!reader.TryRead())
                    {
                        break;
                    }

                    if (isMetadata && reader.TokenType == BencodeTokenType.Integer)
                    {
                        long id = reader.IntegerValue;
                        if (id is < 0 or > 255)
                        {
                            throw new PeerProtocolException(PeerProtocolError.MalformedExtendedMessage, $"the extended handshake gives ut_metadata the id {id}; ids are 0 to 255");
                        }

                        utMetadata = (byte)id;
                    }
                    else
                    {
                        Skip(ref reader);
                    }
                }
            }
            else if (reader.ValueTextEquals("metadata_size"u8))
            {
                metadataSize = ReadInteger(ref reader) ?? metadataSize;
            }
            else if (reader.ValueTextEquals("reqq"u8))
            {
                requestQueue = ReadInteger(ref reader) ?? requestQueue;
            }
            else if (reader.ValueTextEquals("v"u8))
            {
                if (reader.TryRead() && reader.TokenType == BencodeTokenType.String)
                {
                    client = Encoding.UTF8.GetString(reader.ValueSpan[..Math.Min(reader.ValueLength, 64)]);
                }
                else
                {
                    Skip(ref reader);
                }
            }
            else if (!reader.TrySkip())
            {
                break; // an unknown key's value, skipped whole; malformed: reported below
            }
        }

        if (reader.Error != BencodeError.None || !reader.IsComplete)
        {
            throw Malformed(reader, "is not well-formed bencode");
        }

        return new ExtendedHandshake { UtMetadataId = utMetadata, MetadataSize = metadataSize, RequestQueue = requestQueue, Client = client };
    }

    private static long? ReadInteger(ref BencodeReader reader)
    {
        if (!reader.TryRead())
        {
            return null;
        }

        if (reader.TokenType == BencodeTokenType.Integer)
        {
            return reader.IntegerValue;
        }

        Skip(ref reader);
        return null;
    }

    /// <summary>Skips the value the reader has just stepped onto (a no-op for scalars).</summary>
    private static void Skip(ref BencodeReader reader)
    {
        if (reader.TokenType is BencodeTokenType.StartList or BencodeTokenType.StartDictionary)
        {
            reader.TrySkip();
        }
    }

    private static PeerProtocolException Malformed(BencodeReader reader, string what) =>
        new(PeerProtocolError.MalformedExtendedMessage, reader.Error == BencodeError.None
            ? $"the extended handshake {what}"
            : $"the extended handshake {what}: {BencodeException.Describe(reader.Error)} at byte {reader.ErrorOffset}");
}
