namespace MainlineDht.Items;

/// <summary>BEP 44 mutable items signed with a <see cref="SigningKey"/>, put through a <see cref="DhtNode"/>.</summary>
public static class DhtNodeItemExtensions
{
    /// <summary>
    /// Signs <paramref name="bencodedValue"/> with <paramref name="key"/> and puts it as a mutable
    /// item under the target of the key and <paramref name="salt"/> (<see cref="DhtNode.PutMutableAsync"/>:
    /// a <c>get</c> traversal for write tokens, then <c>put</c> to the K closest nodes of each
    /// family). Without <paramref name="sequence"/>, the item is looked up first and put with the
    /// sequence number after the one found (1 when none is found).
    /// </summary>
    /// <param name="node">The node that puts it; without a <paramref name="sequence"/> it needs a
    /// <see cref="DhtNodeOptions.ItemSignatureVerifier"/> to read the current item
    /// (<see cref="Ed25519ItemSignatureVerifier.Instance"/>).</param>
    /// <param name="key">The key that signs it.</param>
    /// <param name="bencodedValue">The value as bencode (at most 1000 bytes); <see cref="DhtItem.EncodeByteString"/> makes one of bytes.</param>
    /// <param name="salt">The salt (at most 64 bytes); empty for none.</param>
    /// <param name="sequence">The sequence number; null to read the current one and put the next.</param>
    /// <param name="compareAndSwap">The sequence number the nodes are expected to hold (BEP 44 <c>cas</c>: 301 otherwise), or null.</param>
    /// <param name="cancellationToken">Ends the lookups and the puts.</param>
    /// <returns>Which nodes stored it and which refused it, with their codes (302: they hold a higher sequence number).</returns>
    /// <exception cref="ArgumentException">The value or the salt is too long, or the value is not one bencoded value.</exception>
    /// <exception cref="InvalidOperationException">No <paramref name="sequence"/> was given and the node has no signature verifier to read the current item with.</exception>
    public static async Task<ItemPutResult> PutMutableAsync(
        this DhtNode node,
        SigningKey key,
        ReadOnlyMemory<byte> bencodedValue,
        ReadOnlyMemory<byte> salt = default,
        long? sequence = null,
        long? compareAndSwap = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(key);
        DhtItem.Immutable(bencodedValue.Span); // the value's checks, before any lookup
        long next = sequence ?? await NextSequenceAsync(node, key, salt, cancellationToken).ConfigureAwait(false);
        DhtItem item = key.CreateMutableItem(bencodedValue.Span, salt.Span, next);
        return await node.PutMutableAsync(item, compareAndSwap, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> NextSequenceAsync(DhtNode node, SigningKey key, ReadOnlyMemory<byte> salt, CancellationToken cancellationToken)
    {
        ItemLookupResult current = await node.GetItemAsync(key.PublicKey, salt, cancellationToken).ConfigureAwait(false);
        return current.Item?.Sequence is long found ? checked(found + 1) : 1;
    }
}
