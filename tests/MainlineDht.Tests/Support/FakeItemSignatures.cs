using System.Security.Cryptography;
using MainlineDht.Items;

namespace MainlineDht.Tests.Support;

/// <summary>
/// A stand-in for ed25519 in the core's tests (the core has no cryptography): a "signature" is
/// SHA-512 of the public key and the signed buffer, 64 bytes like ed25519's, and changes with every
/// byte of the buffer, so a test sees exactly what was signed. Counts the checks it made.
/// </summary>
internal sealed class FakeItemSignatures : IItemSignatureVerifier
{
    public int Checks { get; private set; }

    public static byte[] Sign(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signedBuffer)
    {
        var input = new byte[publicKey.Length + signedBuffer.Length];
        publicKey.CopyTo(input);
        signedBuffer.CopyTo(input.AsSpan(publicKey.Length));
        return SHA512.HashData(input);
    }

    public static byte[] SignItem(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> value) =>
        Sign(publicKey, ItemSignature.CreateSignedBuffer(salt, sequence, value));

    public bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signedBuffer, ReadOnlySpan<byte> signature)
    {
        Checks++;
        return signature.SequenceEqual(Sign(publicKey, signedBuffer));
    }
}
