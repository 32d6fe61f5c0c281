namespace MainlineDht.Protocol;

/// <summary>
/// Why a datagram could not be decoded as a KRPC message, where, and whether a KRPC error reply is
/// due. Only a well-formed query with a transaction id earns a reply (<see cref="ReplyCode"/>);
/// anything else is dropped, so a node can never be used as an amplifier.
/// </summary>
/// <param name="Reason">A short description of the problem.</param>
/// <param name="Offset">The byte offset in the datagram where the problem was found.</param>
/// <param name="ReplyCode">The error code to answer with, or null when the datagram is to be dropped.</param>
/// <param name="TransactionId">The transaction id to echo in the error reply.</param>
public readonly record struct KrpcDecodeError(string Reason, int Offset, KrpcErrorCode? ReplyCode, ReadOnlyMemory<byte> TransactionId)
{
    /// <summary>True when the sender should get a KRPC error with <see cref="ReplyCode"/>.</summary>
    public bool ShouldReply => ReplyCode is not null;

    /// <inheritdoc/>
    public override string ToString() => $"{Reason} (at byte {Offset})";
}

/// <summary>Thrown by <see cref="KrpcCodec.Decode"/> for a datagram that is not a valid KRPC message.</summary>
public sealed class KrpcFormatException : FormatException
{
    /// <summary>Creates the exception from a decode error.</summary>
    public KrpcFormatException(KrpcDecodeError error)
        : base($"Invalid KRPC message: {error}.") => Error = error;

    /// <summary>What was wrong.</summary>
    public KrpcDecodeError Error { get; }
}
