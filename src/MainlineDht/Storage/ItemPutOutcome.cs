using MainlineDht.Protocol;

namespace MainlineDht.Storage;

/// <summary>What <see cref="ItemStore"/> did with a <c>put</c>; each refusal maps to the KRPC error a node answers.</summary>
internal enum ItemPutOutcome
{
    /// <summary>An item not held before was stored.</summary>
    Stored,

    /// <summary>
    /// The store was at its bound: the least recently refreshed item was dropped and this one stored.
    /// </summary>
    StoredReplacingOldest,

    /// <summary>
    /// The same item was put again (the same immutable value; a mutable item with the same
    /// <c>seq</c> and value): its lifetime starts over (BEP 44: "the node SHOULD reset its timeout").
    /// </summary>
    Refreshed,

    /// <summary>A mutable item with a higher <c>seq</c> replaced the stored one.</summary>
    Updated,

    /// <summary>205: the bencoded value is longer than 1000 bytes.</summary>
    RefusedValueTooBig,

    /// <summary>207: the salt is longer than 64 bytes.</summary>
    RefusedSaltTooBig,

    /// <summary>203: the value is not exactly one bencoded value, or the key or signature has the wrong size.</summary>
    RefusedMalformed,

    /// <summary>
    /// 203: the target does not match the item: an immutable item is stored under the SHA-1 of its
    /// value and a mutable one under the SHA-1 of its key and salt, never under another target.
    /// </summary>
    RefusedTargetMismatch,

    /// <summary>
    /// 202: this node was given no signature verifier, so it cannot check a mutable item and stores
    /// none (immutable items need no verifier and are stored).
    /// </summary>
    RefusedMutableNotSupported,

    /// <summary>206: the signature does not verify for the key, salt, <c>seq</c> and value.</summary>
    RefusedInvalidSignature,

    /// <summary>301: <c>cas</c> was given and differs from the <c>seq</c> stored.</summary>
    RefusedCasMismatch,

    /// <summary>302: the <c>seq</c> is lower than the one stored.</summary>
    RefusedSequenceTooLow,

    /// <summary>
    /// 302: the <c>seq</c> equals the one stored but the value differs; BEP 44 requires a put with
    /// a <c>seq</c> lower than or equal to the stored one to be refused.
    /// </summary>
    RefusedSequenceNotNewer,
}

/// <summary>Helpers for <see cref="ItemPutOutcome"/>.</summary>
internal static class ItemPutOutcomeExtensions
{
    /// <summary>True when the item is now in the store.</summary>
    public static bool IsStored(this ItemPutOutcome outcome) =>
        outcome is ItemPutOutcome.Stored or ItemPutOutcome.StoredReplacingOldest or ItemPutOutcome.Refreshed or ItemPutOutcome.Updated;

    /// <summary>The KRPC error a node answers a refused put with.</summary>
    /// <exception cref="ArgumentException"><paramref name="outcome"/> is not a refusal.</exception>
    public static KrpcErrorCode ErrorCode(this ItemPutOutcome outcome) => outcome switch
    {
        ItemPutOutcome.RefusedValueTooBig => KrpcErrorCode.MessageTooBig,
        ItemPutOutcome.RefusedSaltTooBig => KrpcErrorCode.SaltTooBig,
        ItemPutOutcome.RefusedMalformed or ItemPutOutcome.RefusedTargetMismatch => KrpcErrorCode.Protocol,
        ItemPutOutcome.RefusedMutableNotSupported => KrpcErrorCode.Server,
        ItemPutOutcome.RefusedInvalidSignature => KrpcErrorCode.InvalidSignature,
        ItemPutOutcome.RefusedCasMismatch => KrpcErrorCode.CasMismatch,
        ItemPutOutcome.RefusedSequenceTooLow or ItemPutOutcome.RefusedSequenceNotNewer => KrpcErrorCode.SequenceNumberTooLow,
        _ => throw new ArgumentException($"{outcome} is not a refusal.", nameof(outcome)),
    };

    /// <summary>The message of that error: what was wrong, in the words of BEP 44 where it has some.</summary>
    /// <exception cref="ArgumentException"><paramref name="outcome"/> is not a refusal.</exception>
    public static string ErrorMessage(this ItemPutOutcome outcome) => outcome switch
    {
        ItemPutOutcome.RefusedValueTooBig => "message (v field) too big",
        ItemPutOutcome.RefusedSaltTooBig => "salt (salt field) too big",
        ItemPutOutcome.RefusedMalformed => "invalid item: 'v' must be one bencoded value, 'k' 32 bytes and 'sig' 64 bytes",
        ItemPutOutcome.RefusedTargetMismatch => "the item does not hash to its target",
        ItemPutOutcome.RefusedMutableNotSupported => "mutable items are not stored by this node (no signature verifier)",
        ItemPutOutcome.RefusedInvalidSignature => "invalid signature",
        ItemPutOutcome.RefusedCasMismatch => "the CAS hash mismatched, re-read value and try again",
        ItemPutOutcome.RefusedSequenceTooLow => "sequence number less than current",
        ItemPutOutcome.RefusedSequenceNotNewer => "sequence number equal to current with a different value",
        _ => throw new ArgumentException($"{outcome} is not a refusal.", nameof(outcome)),
    };
}
