using System.Text;
using MainlineDht.Items;
using MainlineDht.Lookups;
using MainlineDht.Protocol;

namespace MainlineDht;

// BEP 44: storing arbitrary data in the DHT. What others put to this node is served by the
// get/put handlers (Node/Handlers); these are the node's own gets and puts.
public sealed partial class DhtNode
{
    /// <summary>
    /// Looks up the immutable item stored under <paramref name="target"/> (the SHA-1 of its bencoded
    /// value) with an iterative <c>get</c>. A value counts only if it hashes to the target; the
    /// lookup ends at the first one.
    /// </summary>
    public Task<ItemLookupResult> GetItemAsync(NodeId target, CancellationToken cancellationToken = default) =>
        _lookups.GetItemAsync(ItemCollector.ForImmutable(target, stopWhenFound: true), cancellationToken);

    /// <summary>
    /// Looks up the mutable item of <paramref name="publicKey"/> and <paramref name="salt"/> (its
    /// target is their SHA-1) with an iterative <c>get</c>: of the items nodes return, those whose
    /// signature verifies for that key and salt, the one with the highest sequence number.
    /// </summary>
    /// <param name="publicKey">The item's 32-byte ed25519 public key (<c>k</c>).</param>
    /// <param name="salt">The salt the item was put with (at most 64 bytes); empty for none.</param>
    /// <param name="cancellationToken">Ends the lookup.</param>
    /// <exception cref="ArgumentException">The key is not 32 bytes or the salt is over 64.</exception>
    /// <exception cref="InvalidOperationException">The node has no <see cref="DhtNodeOptions.ItemSignatureVerifier"/> to check signatures with.</exception>
    public Task<ItemLookupResult> GetItemAsync(ReadOnlyMemory<byte> publicKey, ReadOnlyMemory<byte> salt, CancellationToken cancellationToken = default)
    {
        ItemTarget.ForMutable(publicKey.Span, salt.Span); // checks the sizes before anything else
        IItemSignatureVerifier verifier = _options.ItemSignatureVerifier ?? throw new InvalidOperationException(
            "This node has no ItemSignatureVerifier, so it cannot read mutable (signed) items: set DhtNodeOptions.ItemSignatureVerifier (the MainlineDht.Items package has Ed25519ItemSignatureVerifier.Instance).");
        return _lookups.GetItemAsync(ItemCollector.ForMutable(publicKey.ToArray(), salt.ToArray(), verifier), cancellationToken);
    }

    /// <summary>
    /// Puts an immutable item: a <c>get</c> traversal toward its target (the SHA-1 of
    /// <paramref name="bencodedValue"/>) for write tokens, then <c>put</c> to the K closest nodes of
    /// each address family that gave one. The result says which nodes stored it and which refused it, with their error.
    /// </summary>
    /// <param name="bencodedValue">The value as bencode (any bencoded type), at most 1000 bytes; <see cref="DhtItem.EncodeByteString"/> makes one of bytes.</param>
    /// <param name="cancellationToken">Ends the lookup and the puts.</param>
    /// <exception cref="ArgumentException">The value is over 1000 bytes or not exactly one bencoded value.</exception>
    public Task<ItemPutResult> PutImmutableAsync(ReadOnlyMemory<byte> bencodedValue, CancellationToken cancellationToken = default) =>
        _lookups.PutItemAsync(DhtItem.Immutable(bencodedValue.Span), null, cancellationToken);

    /// <summary>
    /// Puts <paramref name="text"/>, UTF-8 encoded, as an immutable item whose value is a bencoded
    /// byte string (<c>12:Hello World!</c>); see <see cref="PutImmutableAsync(ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The encoded string is over 1000 bytes.</exception>
    public Task<ItemPutResult> PutImmutableAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PutImmutableAsync(DhtItem.EncodeByteString(Encoding.UTF8.GetBytes(text)), cancellationToken);
    }

    /// <summary>
    /// Puts a signed mutable item (<see cref="DhtItem.Mutable"/>; the <c>MainlineDht.Items</c>
    /// package signs one with a <c>SigningKey</c>): a <c>get</c> traversal toward its target for
    /// write tokens, then <c>put</c> to the K closest nodes of each address family that gave one.
    /// A node that stores a higher sequence number refuses it with 302, one whose stored sequence
    /// number is not <paramref name="compareAndSwap"/> with 301: see <see cref="ItemPutResult.Refused"/>.
    /// </summary>
    /// <param name="item">The item, signed.</param>
    /// <param name="compareAndSwap">The sequence number the put expects the nodes to hold (BEP 44 <c>cas</c>), or null.</param>
    /// <param name="cancellationToken">Ends the lookup and the puts.</param>
    /// <exception cref="ArgumentException">The item is immutable, or its signature does not verify (checked when the node has a <see cref="DhtNodeOptions.ItemSignatureVerifier"/>).</exception>
    public Task<ItemPutResult> PutMutableAsync(DhtItem item, long? compareAndSwap = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (!item.IsMutable)
        {
            throw new ArgumentException("The item is immutable: put it with PutImmutableAsync.", nameof(item));
        }

        if (_options.ItemSignatureVerifier is { } verifier && !item.VerifySignature(verifier))
        {
            throw new ArgumentException("The item's signature does not verify for its key, salt, sequence number and value: every node would refuse it (206).", nameof(item));
        }

        return _lookups.PutItemAsync(item, compareAndSwap, cancellationToken);
    }
}
