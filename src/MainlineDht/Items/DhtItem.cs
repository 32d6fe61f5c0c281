using System.Globalization;
using MainlineDht.Bencode;
using MainlineDht.Protocol;

namespace MainlineDht.Items;

/// <summary>
/// A BEP 44 item: an immutable value, stored under the SHA-1 of its bencoded form, or a mutable
/// one, signed by an ed25519 key and stored under the SHA-1 of that key and an optional salt, with
/// a sequence number that only grows. The value is always bencode, byte for byte as it travels in
/// <c>v</c> (<c>12:Hello World!</c> for the string "Hello World!"; see <see cref="EncodeByteString"/>).
/// </summary>
/// <remarks>
/// An item holds copies of its bytes and never changes. Creating one checks BEP 44's sizes and that
/// the value is exactly one bencoded value; it does not check a mutable item's signature (the
/// library has no cryptography: see <see cref="VerifySignature"/> and the <c>MainlineDht.Items</c>
/// package, whose <c>SigningKey</c> signs).
/// </remarks>
public sealed class DhtItem
{
    private DhtItem(NodeId target, byte[] value, byte[] publicKey, byte[] salt, long? sequence, byte[] signature)
    {
        Target = target;
        Value = value;
        PublicKey = publicKey;
        Salt = salt;
        Sequence = sequence;
        Signature = signature;
    }

    /// <summary>The key the item is stored under and looked up by (a <c>get</c>'s <c>target</c>).</summary>
    public NodeId Target { get; }

    /// <summary>The value, bencoded (<c>v</c>), at most 1000 bytes.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>True for a mutable (signed) item.</summary>
    public bool IsMutable => !PublicKey.IsEmpty;

    /// <summary>Mutable items: the 32-byte ed25519 public key (<c>k</c>); empty for an immutable item.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>Mutable items: the salt (at most 64 bytes; empty for none). It is part of the target, and never sent back by a node.</summary>
    public ReadOnlyMemory<byte> Salt { get; }

    /// <summary>Mutable items: the sequence number (<c>seq</c>); null for an immutable item.</summary>
    public long? Sequence { get; }

    /// <summary>Mutable items: the 64-byte ed25519 signature (<c>sig</c>); empty for an immutable item.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <summary>An immutable item holding a copy of <paramref name="bencodedValue"/>; its target is the value's SHA-1.</summary>
    /// <exception cref="ArgumentException">The value is over 1000 bytes or not exactly one bencoded value.</exception>
    public static DhtItem Immutable(ReadOnlySpan<byte> bencodedValue)
    {
        CheckValue(bencodedValue);
        return new DhtItem(ItemTarget.ForImmutable(bencodedValue), bencodedValue.ToArray(), [], [], null, []);
    }

    /// <summary>
    /// A mutable item from its parts, already signed (<see cref="ItemSignature"/> says what the
    /// signature covers); its target is the SHA-1 of the key and the salt. The signature is not checked here.
    /// </summary>
    /// <exception cref="ArgumentException">A part has the wrong size, or the value is not exactly one bencoded value.</exception>
    public static DhtItem Mutable(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> bencodedValue, ReadOnlySpan<byte> signature)
    {
        CheckValue(bencodedValue);
        if (signature.Length != ItemSignature.SignatureSize)
        {
            throw new ArgumentException($"An ed25519 signature is {ItemSignature.SignatureSize} bytes; got {signature.Length}.", nameof(signature));
        }

        NodeId target = ItemTarget.ForMutable(publicKey, salt); // checks the key's and the salt's sizes
        return new DhtItem(target, bencodedValue.ToArray(), publicKey.ToArray(), salt.ToArray(), sequence, signature.ToArray());
    }

    /// <summary>
    /// True when the item is immutable, or mutable with a signature that <paramref name="verifier"/>
    /// finds valid for its key, salt, sequence number and value.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="verifier"/> is null.</exception>
    public bool VerifySignature(IItemSignatureVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        return !IsMutable || ItemSignature.Verify(verifier, PublicKey.Span, Salt.Span, Sequence!.Value, Value.Span, Signature.Span);
    }

    /// <summary>
    /// When the value is a bencoded byte string, its bytes (without the length prefix): the
    /// <c>Hello World!</c> of <c>12:Hello World!</c>. False for an integer, a list or a dictionary.
    /// </summary>
    public bool TryGetByteString(out ReadOnlyMemory<byte> bytes)
    {
        int colon = Value.Span.IndexOf((byte)':');
        if (colon > 0 && Value.Span[0] is >= (byte)'0' and <= (byte)'9')
        {
            bytes = Value[(colon + 1)..];
            return true; // the value is one valid bencoded value: a length, a colon and exactly that many bytes
        }

        bytes = default;
        return false;
    }

    /// <summary>A byte string as bencode (<c>&lt;length&gt;:&lt;bytes&gt;</c>): the value of an item that holds those bytes.</summary>
    /// <exception cref="ArgumentException">The encoded string would be over BEP 44's 1000 bytes.</exception>
    public static byte[] EncodeByteString(ReadOnlySpan<byte> bytes)
    {
        int size = BencodeWriter.StringSize(bytes.Length);
        if (size > PutQuery.MaxValueSize)
        {
            throw new ArgumentException($"A value is at most {PutQuery.MaxValueSize} bytes of bencode (BEP 44); {bytes.Length} bytes encode to {size}.", nameof(bytes));
        }

        var encoded = new byte[size];
        var writer = new BencodeWriter(encoded);
        writer.WriteString(bytes);
        return encoded;
    }

    /// <inheritdoc/>
    public override string ToString() => IsMutable
        ? string.Create(CultureInfo.InvariantCulture, $"mutable item {Target} (seq {Sequence}, {Value.Length} bytes)")
        : string.Create(CultureInfo.InvariantCulture, $"immutable item {Target} ({Value.Length} bytes)");

    private static void CheckValue(ReadOnlySpan<byte> value)
    {
        if (value.Length > PutQuery.MaxValueSize)
        {
            throw new ArgumentException($"A value is at most {PutQuery.MaxValueSize} bytes of bencode (BEP 44); got {value.Length}.", "bencodedValue");
        }

        if (!BencodeReader.IsValid(value, default, out BencodeError error, out int offset))
        {
            throw new ArgumentException($"The value is not one bencoded value ({error} at byte {offset}).", "bencodedValue");
        }
    }
}
