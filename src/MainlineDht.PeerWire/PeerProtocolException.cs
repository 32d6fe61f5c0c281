namespace MainlineDht.PeerWire;

/// <summary>What a peer did wrong, or how the exchange with it ended early.</summary>
public enum PeerProtocolError
{
    /// <summary>The peer closed the connection before the exchange was complete (mid-message or mid-transfer).</summary>
    ConnectionClosed = 1,
    /// <summary>The 68-byte handshake did not start with <c>\x13BitTorrent protocol</c>.</summary>
    BadHandshake,
    /// <summary>The peer answered the handshake with another infohash.</summary>
    InfoHashMismatch,
    /// <summary>The peer does not speak the BEP 10 extension protocol (reserved bit <c>0x10</c> of byte 5 unset).</summary>
    NoExtensionProtocol,
    /// <summary>The peer's extended handshake has no <c>ut_metadata</c> id (BEP 9 unsupported).</summary>
    NoMetadataExtension,
    /// <summary>A message whose length prefix is above the limit for its kind (checked before anything is allocated).</summary>
    MessageTooLarge,
    /// <summary>A message whose length does not fit its kind (a <c>have</c> that is not 5 bytes, …).</summary>
    BadMessageLength,
    /// <summary>An extended message whose bencoded dictionary is malformed or misses a required key.</summary>
    MalformedExtendedMessage,
    /// <summary>The extended handshake carries no <c>metadata_size</c>, or one that is zero or negative.</summary>
    MetadataSizeMissing,
    /// <summary>The announced <c>metadata_size</c> is above the configured bound (refused before allocating).</summary>
    MetadataTooLarge,
    /// <summary>A <c>ut_metadata</c> data message whose <c>total_size</c> differs from the announced <c>metadata_size</c>.</summary>
    MetadataSizeMismatch,
    /// <summary>A <c>ut_metadata</c> piece that was not asked for, comes twice, or has the wrong length.</summary>
    WrongMetadataPiece,
    /// <summary>The peer rejected a <c>ut_metadata</c> request.</summary>
    MetadataRejected,
    /// <summary>The assembled metadata's SHA-1 is not the infohash.</summary>
    MetadataHashMismatch,
    /// <summary>The metadata hashes right but is not a usable info dictionary.</summary>
    InvalidMetadata,
    /// <summary>A <c>bitfield</c> of the wrong size, with spare bits set, or sent after other messages.</summary>
    BadBitfield,
    /// <summary>A <c>have</c> for a piece the torrent does not have.</summary>
    BadHave,
    /// <summary>A <c>piece</c> message whose block does not match what was requested (index, offset or length).</summary>
    WrongBlock,
    /// <summary>Too many blocks that were never requested (or arrive after their piece was given up).</summary>
    UnrequestedData,
    /// <summary>Pieces from this peer failed their SHA-1 check too many times.</summary>
    TooManyHashFailures,
    /// <summary>The peer kept the connection open but sent no data for longer than the peer timeout.</summary>
    Stalled,
}

/// <summary>
/// A peer broke the peer wire protocol (BEP 3, 9 or 10), or ended the exchange early: the
/// <see cref="Error"/> says how. The connection to that peer is closed; other peers are unaffected.
/// </summary>
public sealed class PeerProtocolException : Exception
{
    /// <summary>Creates the exception with its reason and a message for people.</summary>
    public PeerProtocolException(PeerProtocolError error, string message)
        : base(message) => Error = error;

    /// <summary>Creates the exception with its reason, a message and the exception that caused it.</summary>
    public PeerProtocolException(PeerProtocolError error, string message, Exception innerException)
        : base(message, innerException) => Error = error;

    /// <summary>What the peer did wrong.</summary>
    public PeerProtocolError Error { get; }
}
