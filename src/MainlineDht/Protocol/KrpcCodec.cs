using System.Diagnostics.CodeAnalysis;

namespace MainlineDht.Protocol;

/// <summary>
/// Decodes and encodes KRPC messages (BEP 5 and the extensions' fields). Decoding is a single pass
/// over the datagram that copies no bytes: the message's byte-string fields are slices of the input.
/// Encoding writes canonical bencode (sorted keys) into a caller's span without allocating.
/// </summary>
public static partial class KrpcCodec
{
    /// <summary>The largest datagram a node should send; replies are kept under it.</summary>
    public const int MaxDatagramSize = 1400;

    /// <summary>
    /// Decodes an untrusted datagram. Returns false with <paramref name="error"/> saying why (and
    /// whether a 203/204 reply is due) instead of throwing.
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> datagram, [NotNullWhen(true)] out KrpcMessage? message, out KrpcDecodeError error)
    {
        var decoder = new Decoder(datagram, reuse: null, ownReplies: false);
        return decoder.Decode(out message, out error);
    }

    /// <summary>
    /// Decodes as the engine does: like <see cref="TryDecode(ReadOnlyMemory{byte}, out KrpcMessage?, out KrpcDecodeError)"/>,
    /// but a <c>ping</c>, <c>find_node</c> or <c>get_peers</c> query is decoded into
    /// <paramref name="reuse"/>'s instance of its type when given (the caller has taken them), and a
    /// response or an error is built over a copy of the datagram of its own: the transport reuses its
    /// receive buffer, and the awaiting caller keeps the reply.
    /// </summary>
    internal static bool TryDecodeOwningReplies(ReadOnlyMemory<byte> datagram, ReusableQueries? reuse, [NotNullWhen(true)] out KrpcMessage? message, out KrpcDecodeError error)
    {
        var decoder = new Decoder(datagram, reuse, ownReplies: true);
        return decoder.Decode(out message, out error);
    }

    /// <summary>Decodes a datagram, throwing when it is not a valid KRPC message.</summary>
    /// <exception cref="KrpcFormatException">The datagram is not a valid KRPC message.</exception>
    public static KrpcMessage Decode(ReadOnlyMemory<byte> datagram) =>
        TryDecode(datagram, out KrpcMessage? message, out KrpcDecodeError error) ? message : throw new KrpcFormatException(error);
}
