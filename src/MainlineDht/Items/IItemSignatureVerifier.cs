namespace MainlineDht.Items;

/// <summary>
/// Checks the ed25519 signature of a BEP 44 mutable item. The library holds no cryptography of its
/// own: a node stores and serves signed (mutable) items only when it is given a verifier; the
/// <c>MainlineDht.Items</c> package provides one (libsodium through NSec.Cryptography).
/// </summary>
/// <remarks>
/// One verifier may serve many nodes at once: an implementation must be safe to call from several
/// threads. It is called on the node's event loop, once per <c>put</c> of a mutable item and once
/// per item a lookup receives, so it should not block.
/// </remarks>
public interface IItemSignatureVerifier
{
    /// <summary>
    /// True when <paramref name="signature"/> is a valid ed25519 signature of
    /// <paramref name="signedBuffer"/> by <paramref name="publicKey"/>. Untrusted input: a key or a
    /// signature of the wrong size, or a key that is not a curve point, gives false, never an exception.
    /// </summary>
    /// <param name="publicKey">The item's <c>k</c>: a 32-byte ed25519 public key.</param>
    /// <param name="signedBuffer">What was signed: <see cref="ItemSignature.WriteSignedBuffer"/>'s bytes.</param>
    /// <param name="signature">The item's <c>sig</c>: 64 bytes.</param>
    bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signedBuffer, ReadOnlySpan<byte> signature);
}
