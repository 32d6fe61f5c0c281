namespace MainlineDht.PeerWire.Wire;

/// <summary>
/// The largest message of each kind a connection accepts. A length prefix above its kind's limit
/// fails the connection with <see cref="PeerProtocolError.MessageTooLarge"/> before any buffer is
/// grown for it, so a peer can make a connection hold at most <see cref="MaxMessageLength"/> bytes.
/// </summary>
internal sealed record PeerWireLimits
{
    /// <summary>The block size everyone requests (BEP 3: 16 KiB); a larger block is refused.</summary>
    public const int BlockLength = 16 * 1024;

    /// <summary>The default bound of a <c>bitfield</c> or <c>extended</c> message: 256 KiB.</summary>
    public const int DefaultMaxBulkLength = 256 * 1024;

    /// <summary>An unknown message (a BEP 6 or BEP 52 message we never asked for): skipped up to this size.</summary>
    public const int MaxUnknownLength = BlockLength + 13;

    public static PeerWireLimits Default { get; } = new();

    /// <summary>The largest <c>bitfield</c> payload plus its id (256 KiB: two million pieces).</summary>
    public int MaxBitfieldLength { get; init; } = DefaultMaxBulkLength;

    /// <summary>The largest <c>extended</c> message (its id, extended id and payload).</summary>
    public int MaxExtendedLength { get; init; } = DefaultMaxBulkLength;

    /// <summary>The largest message of any kind: what a connection's buffer may grow to, plus 4.</summary>
    public int MaxMessageLength => Math.Max(Math.Max(MaxBitfieldLength, MaxExtendedLength), 9 + BlockLength);

    /// <summary>The allowed lengths (id included) of a message with <paramref name="id"/>.</summary>
    public (int Min, int Max) LengthRange(PeerMessageId id) => id switch
    {
        PeerMessageId.Choke or PeerMessageId.Unchoke or PeerMessageId.Interested or PeerMessageId.NotInterested => (1, 1),
        PeerMessageId.Have => (5, 5),
        PeerMessageId.Bitfield => (1, MaxBitfieldLength),
        PeerMessageId.Request or PeerMessageId.Cancel => (13, 13),
        PeerMessageId.Piece => (9, 9 + BlockLength),
        PeerMessageId.Port => (3, 3),
        PeerMessageId.Extended => (2, MaxExtendedLength),
        _ => (1, MaxUnknownLength),
    };
}
