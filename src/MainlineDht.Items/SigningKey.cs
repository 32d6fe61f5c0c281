using NSec.Cryptography;

namespace MainlineDht.Items;

/// <summary>
/// An ed25519 key pair that signs BEP 44 mutable items: made from a 32-byte seed (the RFC 8032
/// private key) or generated. The private part lives in libsodium's protected memory (NSec) and is
/// never shown: <see cref="ToString"/> names the public key only. Dispose it when done.
/// </summary>
/// <remarks>
/// BEP 44's own test vectors give the private key in the 64-byte "expanded" form of another ed25519
/// library; that form is not a seed and cannot be imported here (the vectors' signatures still verify).
/// </remarks>
public sealed class SigningKey : IDisposable
{
    /// <summary>The size of a seed, in bytes.</summary>
    public const int SeedSize = 32;

    private readonly Key _key;
    private readonly byte[] _publicKey;

    private SigningKey(Key key)
    {
        _key = key;
        _publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The 32-byte ed25519 public key (an item's <c>k</c>).</summary>
    public ReadOnlyMemory<byte> PublicKey => _publicKey;

    /// <summary>A new key from the operating system's random source.</summary>
    public static SigningKey Generate()
    {
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new SigningKey(Key.Create(SignatureAlgorithm.Ed25519, in parameters));
    }

    /// <summary>The key of a 32-byte seed (the same seed always gives the same key).</summary>
    /// <exception cref="ArgumentException"><paramref name="seed"/> is not 32 bytes.</exception>
    public static SigningKey FromSeed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedSize)
        {
            throw new ArgumentException($"An ed25519 seed is {SeedSize} bytes; got {seed.Length}.", nameof(seed));
        }

        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        return new SigningKey(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey, in parameters));
    }

    /// <summary>
    /// The 32-byte seed, to save the key (whoever has it can sign as this key: keep it secret).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public byte[] ExportSeed() => _key.Export(KeyBlobFormat.RawPrivateKey);

    /// <summary>The 64-byte ed25519 signature of <paramref name="data"/>.</summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public byte[] Sign(ReadOnlySpan<byte> data) => SignatureAlgorithm.Ed25519.Sign(_key, data);

    /// <summary>
    /// The signature (<c>sig</c>) of a mutable item: the ed25519 signature of its signed buffer
    /// (<see cref="ItemSignature.WriteSignedBuffer"/>).
    /// </summary>
    /// <param name="salt">The salt; empty for none.</param>
    /// <param name="sequence">The sequence number (<c>seq</c>).</param>
    /// <param name="bencodedValue">The value as bencode, exactly as it will be sent in <c>v</c>.</param>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public byte[] SignItem(ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> bencodedValue) =>
        Sign(ItemSignature.CreateSignedBuffer(salt, sequence, bencodedValue));

    /// <summary>
    /// A mutable item of this key, signed: its value, salt and sequence number, ready for
    /// <see cref="DhtNode.PutMutableAsync"/>.
    /// </summary>
    /// <param name="bencodedValue">The value as bencode (at most 1000 bytes); <see cref="DhtItem.EncodeByteString"/> makes one of bytes.</param>
    /// <param name="salt">The salt (at most 64 bytes); empty for none.</param>
    /// <param name="sequence">The sequence number: higher than the one the nodes hold, or they refuse it (302).</param>
    /// <exception cref="ArgumentException">The value or the salt is too long, or the value is not one bencoded value.</exception>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public DhtItem CreateMutableItem(ReadOnlySpan<byte> bencodedValue, ReadOnlySpan<byte> salt, long sequence) =>
        DhtItem.Mutable(_publicKey, salt, sequence, bencodedValue, SignItem(salt, sequence, bencodedValue));

    /// <summary>Names the public key only; the private key is never part of a string.</summary>
    public override string ToString() => $"SigningKey(ed25519 public {Convert.ToHexStringLower(_publicKey)})";

    /// <summary>Frees the private key's memory.</summary>
    public void Dispose() => _key.Dispose();
}
