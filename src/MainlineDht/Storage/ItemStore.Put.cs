using MainlineDht.Bencode;
using MainlineDht.Items;
using MainlineDht.Protocol;

namespace MainlineDht.Storage;

/// <summary>The BEP 44 rules of a <c>put</c>.</summary>
internal sealed partial class ItemStore
{
    /// <summary>
    /// Stores the item of a decoded <c>put</c> (its write token already checked) under the target
    /// it implies: SHA-1 of <c>v</c> for an immutable item, SHA-1 of <c>k</c> and <c>salt</c> for a
    /// mutable one. A put is never stored under any other target.
    /// </summary>
    public ItemPutOutcome Put(PutQuery query, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(query);
        ReadOnlySpan<byte> value = query.Value.Span;
        if (!query.IsMutable && query.Signature.IsEmpty)
        {
            return IsWellFormedValue(value, out ItemPutOutcome refusal)
                ? PutImmutable(ItemTarget.ForImmutable(value), value, now)
                : refusal;
        }

        // A put with only some of the mutable fields is refused, never stored as immutable.
        if (query.Sequence is not long sequence)
        {
            return ItemPutOutcome.RefusedMalformed;
        }

        var put = new MutableItemPut(query.PublicKey.Span, query.Salt.Span, sequence, value, query.Signature.Span, query.CompareAndSwap);
        return IsWellFormedMutable(put, out ItemPutOutcome mutableRefusal)
            ? PutMutable(ItemTarget.ForMutable(put.PublicKey, put.Salt), put, now)
            : mutableRefusal;
    }

    /// <summary>
    /// Stores an immutable item under <paramref name="target"/>, which must be the SHA-1 of
    /// <paramref name="value"/>. Putting a stored item again restarts its lifetime.
    /// </summary>
    /// <param name="target">The target the item is put under.</param>
    /// <param name="value">The bencoded value (<c>v</c>), at most 1000 bytes; copied.</param>
    /// <param name="now">The current time.</param>
    public ItemPutOutcome PutImmutable(NodeId target, ReadOnlySpan<byte> value, DateTimeOffset now)
    {
        if (!IsWellFormedValue(value, out ItemPutOutcome refusal))
        {
            return refusal;
        }

        if (ItemTarget.ForImmutable(value) != target)
        {
            return ItemPutOutcome.RefusedTargetMismatch;
        }

        long nowTicks = now.UtcTicks;
        if (Live(target, nowTicks) is { } stored)
        {
            // Same target, same SHA-1: the same value (a mutable item here would be a SHA-1 collision).
            if (stored.IsMutable)
            {
                return ItemPutOutcome.RefusedTargetMismatch;
            }

            Touch(stored, nowTicks);
            return ItemPutOutcome.Refreshed;
        }

        return Add(StoredItem.Immutable(target, value), nowTicks);
    }

    /// <summary>
    /// Stores a mutable item under <paramref name="target"/>, which must be the SHA-1 of its key
    /// and salt, after checking, in BEP 44's order: sizes (205, 207, 203), target (203), signature
    /// (202 without a verifier, 206), then against the stored item <c>cas</c> (301) and <c>seq</c>
    /// (302 when lower, or equal with another value). The same <c>seq</c> and value again restarts
    /// the item's lifetime; a higher <c>seq</c> replaces it. <c>cas</c> is ignored when nothing is
    /// stored, as BEP 44 says.
    /// </summary>
    public ItemPutOutcome PutMutable(NodeId target, in MutableItemPut put, DateTimeOffset now)
    {
        if (!IsWellFormedMutable(put, out ItemPutOutcome refusal))
        {
            return refusal;
        }

        if (ItemTarget.ForMutable(put.PublicKey, put.Salt) != target)
        {
            return ItemPutOutcome.RefusedTargetMismatch;
        }

        if (_verifier is null)
        {
            return ItemPutOutcome.RefusedMutableNotSupported;
        }

        if (!ItemSignature.Verify(_verifier, put.PublicKey, put.Salt, put.Sequence, put.Value, put.Signature))
        {
            return ItemPutOutcome.RefusedInvalidSignature;
        }

        long nowTicks = now.UtcTicks;
        if (Live(target, nowTicks) is not { } stored)
        {
            return Add(StoredItem.Mutable(target, put), nowTicks);
        }

        if (!stored.IsMutable)
        {
            return ItemPutOutcome.RefusedTargetMismatch;
        }

        if (put.CompareAndSwap is long cas && cas != stored.Sequence)
        {
            return ItemPutOutcome.RefusedCasMismatch;
        }

        if (put.Sequence < stored.Sequence)
        {
            return ItemPutOutcome.RefusedSequenceTooLow;
        }

        if (put.Sequence == stored.Sequence)
        {
            if (!put.Value.SequenceEqual(stored.Value.Span))
            {
                return ItemPutOutcome.RefusedSequenceNotNewer;
            }

            Touch(stored, nowTicks);
            return ItemPutOutcome.Refreshed;
        }

        stored.Update(put);
        Touch(stored, nowTicks);
        return ItemPutOutcome.Updated;
    }

    private static bool IsWellFormedValue(ReadOnlySpan<byte> value, out ItemPutOutcome refusal)
    {
        if (value.Length > PutQuery.MaxValueSize)
        {
            refusal = ItemPutOutcome.RefusedValueTooBig;
            return false;
        }

        // Served verbatim inside replies: it must be exactly one bencoded value.
        refusal = ItemPutOutcome.RefusedMalformed;
        return BencodeReader.IsValid(value, default, out _, out _);
    }

    private static bool IsWellFormedMutable(in MutableItemPut put, out ItemPutOutcome refusal)
    {
        if (!IsWellFormedValue(put.Value, out refusal))
        {
            return false;
        }

        if (put.Salt.Length > PutQuery.MaxSaltSize)
        {
            refusal = ItemPutOutcome.RefusedSaltTooBig;
            return false;
        }

        refusal = ItemPutOutcome.RefusedMalformed;
        return put.PublicKey.Length == ItemSignature.PublicKeySize && put.Signature.Length == ItemSignature.SignatureSize;
    }
}
