using NSec.Cryptography;

namespace MainlineDht.Items;

/// <summary>
/// Checks BEP 44 item signatures with ed25519 from libsodium (through NSec.Cryptography). Give
/// <see cref="Instance"/> to a node so that it stores, serves and reads mutable items.
/// </summary>
/// <remarks>Stateless and thread-safe: one instance serves every node in a process.</remarks>
public sealed class Ed25519ItemSignatureVerifier : IItemSignatureVerifier
{
    private Ed25519ItemSignatureVerifier()
    {
    }

    /// <summary>The verifier (it holds no state).</summary>
    public static Ed25519ItemSignatureVerifier Instance { get; } = new();

    /// <inheritdoc/>
    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signedBuffer, ReadOnlySpan<byte> signature)
    {
        SignatureAlgorithm ed25519 = SignatureAlgorithm.Ed25519;
        if (publicKey.Length != ed25519.PublicKeySize || signature.Length != ed25519.SignatureSize)
        {
            return false;
        }

        // TryImport refuses a key that is not a valid curve point: the signature then does not verify.
        return PublicKey.TryImport(ed25519, publicKey, KeyBlobFormat.RawPublicKey, out PublicKey? key)
            && ed25519.Verify(key!, signedBuffer, signature);
    }
}
