using MainlineDht.Protocol;

namespace MainlineDht.Storage;

/// <summary>
/// One BEP 44 item held by <see cref="ItemStore"/>: an immutable value, or a mutable one with its
/// key, salt, sequence number and signature. The store owns copies of every byte; an array it hands
/// out is never written again (an update replaces arrays), so a reply built from one stays correct.
/// </summary>
internal sealed class StoredItem
{
    private StoredItem(NodeId target, byte[] value, byte[] publicKey, byte[] salt, long sequence, byte[] signature)
    {
        Target = target;
        Value = value;
        PublicKey = publicKey;
        Salt = salt;
        Sequence = sequence;
        Signature = signature;
    }

    /// <summary>The key the item is stored under.</summary>
    public NodeId Target { get; }

    /// <summary>True for a signed (mutable) item.</summary>
    public bool IsMutable => !PublicKey.IsEmpty;

    /// <summary>The value, bencoded, exactly as it was put (<c>v</c>).</summary>
    public ReadOnlyMemory<byte> Value { get; private set; }

    /// <summary>Mutable items: the 32-byte ed25519 public key (<c>k</c>); empty for immutable items.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>Mutable items: the salt; empty when none (it is never sent back in a <c>get</c> reply).</summary>
    public ReadOnlyMemory<byte> Salt { get; }

    /// <summary>Mutable items: the sequence number (<c>seq</c>); 0 for immutable items.</summary>
    public long Sequence { get; private set; }

    /// <summary>Mutable items: the 64-byte signature (<c>sig</c>); empty for immutable items.</summary>
    public ReadOnlyMemory<byte> Signature { get; private set; }

    /// <summary>When the item was last put (UTC ticks; kept monotonic across the store).</summary>
    public long RefreshedTicks { get; set; }

    /// <summary>The next item toward the least recently refreshed end of the store's list.</summary>
    public StoredItem? Older { get; set; }

    /// <summary>The next item toward the most recently refreshed end of the store's list.</summary>
    public StoredItem? Newer { get; set; }

    /// <summary>An immutable item holding a copy of <paramref name="value"/>.</summary>
    public static StoredItem Immutable(NodeId target, ReadOnlySpan<byte> value) =>
        new(target, value.ToArray(), [], [], 0, []);

    /// <summary>A mutable item holding copies of its parts.</summary>
    public static StoredItem Mutable(NodeId target, in MutableItemPut put) =>
        new(target, put.Value.ToArray(), put.PublicKey.ToArray(), put.Salt.ToArray(), put.Sequence, put.Signature.ToArray());

    /// <summary>A newer version of this mutable item: new arrays, the old ones untouched.</summary>
    public void Update(in MutableItemPut put)
    {
        Value = put.Value.ToArray();
        Sequence = put.Sequence;
        Signature = put.Signature.ToArray();
    }
}

/// <summary>The parts of a mutable <c>put</c> (BEP 44), as received; nothing is checked yet.</summary>
internal readonly ref struct MutableItemPut
{
    /// <summary>Gathers the parts of a mutable put.</summary>
    /// <param name="publicKey">The ed25519 public key (<c>k</c>), 32 bytes when well formed.</param>
    /// <param name="salt">The salt; empty for none.</param>
    /// <param name="sequence">The sequence number (<c>seq</c>).</param>
    /// <param name="value">The value, bencoded (<c>v</c>).</param>
    /// <param name="signature">The signature (<c>sig</c>), 64 bytes when well formed.</param>
    /// <param name="compareAndSwap">The <c>seq</c> the putter expects to replace (<c>cas</c>), or null.</param>
    public MutableItemPut(
        ReadOnlySpan<byte> publicKey,
        ReadOnlySpan<byte> salt,
        long sequence,
        ReadOnlySpan<byte> value,
        ReadOnlySpan<byte> signature,
        long? compareAndSwap = null)
    {
        PublicKey = publicKey;
        Salt = salt;
        Sequence = sequence;
        Value = value;
        Signature = signature;
        CompareAndSwap = compareAndSwap;
    }

    /// <summary>The ed25519 public key (<c>k</c>).</summary>
    public ReadOnlySpan<byte> PublicKey { get; }

    /// <summary>The salt; empty for none.</summary>
    public ReadOnlySpan<byte> Salt { get; }

    /// <summary>The sequence number (<c>seq</c>).</summary>
    public long Sequence { get; }

    /// <summary>The value, bencoded (<c>v</c>).</summary>
    public ReadOnlySpan<byte> Value { get; }

    /// <summary>The signature (<c>sig</c>).</summary>
    public ReadOnlySpan<byte> Signature { get; }

    /// <summary>The <c>seq</c> the putter expects to replace (<c>cas</c>), or null.</summary>
    public long? CompareAndSwap { get; }
}
