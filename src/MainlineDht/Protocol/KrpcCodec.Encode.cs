using MainlineDht.Bencode;

namespace MainlineDht.Protocol;

public static partial class KrpcCodec
{
    /// <summary>
    /// Encodes <paramref name="message"/> into <paramref name="destination"/> as canonical bencode.
    /// Returns false, with nothing usable written, when the span is too small. Allocates nothing.
    /// </summary>
    public static bool TryEncode(KrpcMessage message, Span<byte> destination, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(message);
        return TryEncode(message, message.TransactionId.Span, destination, out bytesWritten);
    }

    /// <summary>Like <see cref="TryEncode(KrpcMessage, Span{byte}, out int)"/>, with the transaction id given apart from the message.</summary>
    internal static bool TryEncode(KrpcMessage message, ReadOnlySpan<byte> transactionId, Span<byte> destination, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(message);
        var w = new BencodeWriter(destination);
        if (message is KrpcResponse response)
        {
            var fields = ResponseFields.Of(response);
            WriteResponseMessage(ref w, in fields, transactionId);
            bytesWritten = w.Overflowed ? 0 : w.BytesWritten;
            return !w.Overflowed;
        }

        w.WriteStartDictionary();
        switch (message)
        {
            case KrpcQuery query:
                w.WriteKey("a"u8);
                WriteArguments(ref w, query);
                WriteIp(ref w, message);
                w.WriteString("q"u8, query is UnknownQuery unknown ? unknown.MethodName.Span : KrpcMethodNames.GetName(query.Method));
                if (query.ReadOnly)
                {
                    w.WriteInteger("ro"u8, 1);
                }

                WriteTail(ref w, message, transactionId, "q"u8);
                break;


            case KrpcError error:
                w.WriteKey("e"u8);
                w.WriteStartList();
                w.WriteInteger(error.Code);
                w.WriteString(error.Message.Span);
                w.WriteEnd();
                WriteIp(ref w, message);
                WriteTail(ref w, message, transactionId, "e"u8);
                break;

            default:
                throw new ArgumentException($"Unknown message type {message.GetType()}.", nameof(message));
        }

        w.WriteEnd();
        bytesWritten = w.Overflowed ? 0 : w.BytesWritten;
        return !w.Overflowed;
    }

    /// <summary>Encodes <paramref name="message"/> into a new array.</summary>
    public static byte[] Encode(KrpcMessage message)
    {
        Span<byte> buffer = stackalloc byte[MaxDatagramSize];
        if (TryEncode(message, buffer, out int written))
        {
            return buffer[..written].ToArray();
        }

        byte[] large = new byte[64 * 1024];
        return TryEncode(message, large, out written)
            ? large[..written]
            : throw new ArgumentException("The message does not fit in 64 KiB.", nameof(message));
    }

    /// <summary>Encodes a KRPC error reply to the transaction <paramref name="transactionId"/>, without a BEP 42 <c>ip</c>.</summary>
    public static bool TryEncodeError(ReadOnlySpan<byte> transactionId, KrpcErrorCode code, ReadOnlySpan<byte> text, ReadOnlySpan<byte> version, Span<byte> destination, out int bytesWritten) =>
        TryEncodeError(transactionId, code, text, version, default, destination, out bytesWritten);

    /// <summary>
    /// Encodes a KRPC error reply to the transaction <paramref name="transactionId"/>. A node's
    /// replies, errors included, carry the requester's address as the node saw it (BEP 42
    /// <paramref name="externalAddress"/>, compact: 6 or 18 bytes); it is left out when empty.
    /// </summary>
    public static bool TryEncodeError(ReadOnlySpan<byte> transactionId, KrpcErrorCode code, ReadOnlySpan<byte> text, ReadOnlySpan<byte> version, ReadOnlySpan<byte> externalAddress, Span<byte> destination, out int bytesWritten)
    {
        var w = new BencodeWriter(destination);
        w.WriteStartDictionary();
        w.WriteKey("e"u8);
        w.WriteStartList();
        w.WriteInteger((int)code);
        w.WriteString(text);
        w.WriteEnd();
        if (!externalAddress.IsEmpty)
        {
            w.WriteString("ip"u8, externalAddress);
        }

        w.WriteString("t"u8, transactionId);
        if (!version.IsEmpty)
        {
            w.WriteString("v"u8, version);
        }

        w.WriteString("y"u8, "e"u8);
        w.WriteEnd();
        bytesWritten = w.Overflowed ? 0 : w.BytesWritten;
        return !w.Overflowed;
    }

    private static void WriteIp(ref BencodeWriter w, KrpcMessage message)
    {
        if (!message.ExternalAddress.IsEmpty)
        {
            w.WriteString("ip"u8, message.ExternalAddress.Span);
        }
    }

    private static void WriteTail(ref BencodeWriter w, KrpcMessage message, scoped ReadOnlySpan<byte> transactionId, ReadOnlySpan<byte> type)
    {
        w.WriteString("t"u8, transactionId);
        if (!message.Version.IsEmpty)
        {
            w.WriteString("v"u8, message.Version.Span);
        }

        w.WriteString("y"u8, type);
    }

    private static void WriteId(ref BencodeWriter w, ReadOnlySpan<byte> key, NodeId id)
    {
        Span<byte> bytes = stackalloc byte[NodeId.Size];
        id.WriteTo(bytes);
        w.WriteString(key, bytes);
    }

    private static void WriteWant(ref BencodeWriter w, WantFamilies want)
    {
        if (want == WantFamilies.None)
        {
            return;
        }

        w.WriteKey("want"u8);
        w.WriteStartList();
        if ((want & WantFamilies.IPv4) != 0)
        {
            w.WriteString("n4"u8);
        }

        if ((want & WantFamilies.IPv6) != 0)
        {
            w.WriteString("n6"u8);
        }

        w.WriteEnd();
    }

    private static void WriteOptional(ref BencodeWriter w, ReadOnlySpan<byte> key, ReadOnlyMemory<byte> value)
    {
        if (!value.IsEmpty)
        {
            w.WriteString(key, value.Span);
        }
    }

    /// <summary>Writes a key the reply requires: as an empty string when <paramref name="included"/> and there is nothing in it.</summary>
    private static void WriteRequired(ref BencodeWriter w, ReadOnlySpan<byte> key, ReadOnlyMemory<byte> value, bool included)
    {
        if (included || !value.IsEmpty)
        {
            w.WriteString(key, value.Span);
        }
    }

    private static void WriteOptional(ref BencodeWriter w, ReadOnlySpan<byte> key, long? value)
    {
        if (value is long v)
        {
            w.WriteInteger(key, v);
        }
    }

    private static void WriteFlag(ref BencodeWriter w, ReadOnlySpan<byte> key, bool value)
    {
        if (value)
        {
            w.WriteInteger(key, 1);
        }
    }

    /// <summary>The <c>pad</c> argument: <paramref name="length"/> zero bytes (none when 0).</summary>
    private static void WritePadding(ref BencodeWriter w, int length)
    {
        if (length > 0)
        {
            Span<byte> zeros = stackalloc byte[KrpcQuery.MaxPadding];
            zeros = zeros[..length];
            zeros.Clear();
            w.WriteString("pad"u8, zeros);
        }
    }

    // Keys in raw-byte order within each case: the writer enforces it.
    private static void WriteArguments(ref BencodeWriter w, KrpcQuery query)
    {
        w.WriteStartDictionary();
        switch (query)
        {
            case PingQuery:
                WriteId(ref w, "id"u8, query.Id);
                WritePadding(ref w, query.Padding);
                break;

            case FindNodeQuery q:
                WriteId(ref w, "id"u8, q.Id);
                WritePadding(ref w, q.Padding);
                WriteId(ref w, "target"u8, q.Target);
                WriteWant(ref w, q.Want);
                break;

            case GetPeersQuery q:
                WriteId(ref w, "id"u8, q.Id);
                WriteId(ref w, "info_hash"u8, q.InfoHash);
                WriteFlag(ref w, "noseed"u8, q.NoSeed);
                WritePadding(ref w, q.Padding);
                WriteFlag(ref w, "scrape"u8, q.Scrape);
                WriteWant(ref w, q.Want);
                break;

            case AnnouncePeerQuery q:
                WriteId(ref w, "id"u8, q.Id);
                WriteFlag(ref w, "implied_port"u8, q.ImpliedPort);
                WriteId(ref w, "info_hash"u8, q.InfoHash);
                if (!q.ImpliedPort || q.Port != 0)
                {
                    w.WriteInteger("port"u8, q.Port);
                }

                WriteFlag(ref w, "seed"u8, q.Seed);
                w.WriteString("token"u8, q.Token.Span);
                break;

            case SampleInfohashesQuery q:
                WriteId(ref w, "id"u8, q.Id);
                WritePadding(ref w, q.Padding);
                WriteId(ref w, "target"u8, q.Target);
                WriteWant(ref w, q.Want);
                break;

            case GetQuery q:
                WriteId(ref w, "id"u8, q.Id);
                WritePadding(ref w, q.Padding);
                WriteOptional(ref w, "seq"u8, q.Sequence);
                WriteId(ref w, "target"u8, q.Target);
                WriteWant(ref w, q.Want);
                break;

            case PutQuery q:
                WriteOptional(ref w, "cas"u8, q.CompareAndSwap);
                WriteId(ref w, "id"u8, q.Id);
                WriteOptional(ref w, "k"u8, q.PublicKey);
                WriteOptional(ref w, "salt"u8, q.Salt);
                WriteOptional(ref w, "seq"u8, q.Sequence);
                WriteOptional(ref w, "sig"u8, q.Signature);
                w.WriteString("token"u8, q.Token.Span);
                w.WriteKey("v"u8);
                w.WriteRawValue(q.Value.Span);
                break;

            case UnknownQuery q:
                WriteId(ref w, "id"u8, q.Id);
                if (q.InfoHash is NodeId infoHash)
                {
                    WriteId(ref w, "info_hash"u8, infoHash);
                }

                if (q.Target is NodeId target)
                {
                    WriteId(ref w, "target"u8, target);
                }

                WriteWant(ref w, q.Want);
                break;
        }

        w.WriteEnd();
    }

    /// <summary>
    /// Encodes a response from its fields, byte for byte what <see cref="TryEncode(KrpcMessage, Span{byte}, out int)"/>
    /// writes for a <see cref="KrpcResponse"/> with those values, without a message object (a node's replies).
    /// </summary>
    internal static bool TryEncodeResponse(in ResponseFields fields, Span<byte> destination, out int bytesWritten)
    {
        var w = new BencodeWriter(destination);
        WriteResponseMessage(ref w, in fields, fields.TransactionId.Span);
        bytesWritten = w.Overflowed ? 0 : w.BytesWritten;
        return !w.Overflowed;
    }

    /// <summary>d 2:ip … 1:r d … e 1:t … [1:v …] 1:y 1:r e</summary>
    private static void WriteResponseMessage(ref BencodeWriter w, in ResponseFields r, scoped ReadOnlySpan<byte> transactionId)
    {
        w.WriteStartDictionary();
        if (!r.ExternalAddress.IsEmpty)
        {
            w.WriteString("ip"u8, r.ExternalAddress.Span);
        }

        w.WriteKey("r"u8);
        WriteResponse(ref w, in r);
        w.WriteString("t"u8, transactionId);
        if (!r.Version.IsEmpty)
        {
            w.WriteString("v"u8, r.Version.Span);
        }

        w.WriteString("y"u8, "r"u8);
        w.WriteEnd();
    }

    private static void WriteResponse(ref BencodeWriter w, in ResponseFields r)
    {
        w.WriteStartDictionary();
        WriteOptional(ref w, "BFpe"u8, r.PeersFilter);
        WriteOptional(ref w, "BFsd"u8, r.SeedsFilter);
        WriteId(ref w, "id"u8, r.Id);
        WriteOptional(ref w, "interval"u8, r.Interval);
        WriteOptional(ref w, "k"u8, r.PublicKey);
        KrpcResponseKeys included = r.IncludedKeys;
        WriteRequired(ref w, "nodes"u8, r.Nodes, (included & KrpcResponseKeys.Nodes) != 0);
        WriteRequired(ref w, "nodes6"u8, r.Nodes6, (included & KrpcResponseKeys.Nodes6) != 0);
        WriteOptional(ref w, "num"u8, r.Num);
        WriteRequired(ref w, "samples"u8, r.Samples, (included & KrpcResponseKeys.Samples) != 0);
        WriteOptional(ref w, "seq"u8, r.Sequence);
        WriteOptional(ref w, "sig"u8, r.Signature);
        WriteOptional(ref w, "token"u8, r.Token);
        if (!r.Value.IsEmpty)
        {
            w.WriteKey("v"u8);
            w.WriteRawValue(r.Value.Span);
        }

        if (!r.Values.IsEmpty)
        {
            w.WriteKey("values"u8);
            w.WriteRawValue(r.Values.Encoded.Span);
        }

        w.WriteEnd();
    }
}
