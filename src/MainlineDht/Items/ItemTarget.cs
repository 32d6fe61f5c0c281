using System.Security.Cryptography;
using MainlineDht.Protocol;

namespace MainlineDht.Items;

/// <summary>
/// The target of a BEP 44 item: the 160-bit key it is stored under and looked up by (a <c>get</c>'s
/// <c>target</c>), in the same space as node ids.
/// </summary>
public static class ItemTarget
{
    /// <summary>
    /// An immutable item's target: SHA-1 of its bencoded value, byte for byte as it is sent
    /// (<c>12:Hello World!</c> for the string "Hello World!").
    /// </summary>
    /// <param name="bencodedValue">The value as bencode (any bencoded type).</param>
    public static NodeId ForImmutable(ReadOnlySpan<byte> bencodedValue)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(bencodedValue, hash);
        return new NodeId(hash);
    }

    /// <summary>
    /// A mutable item's target: SHA-1 of the public key followed by the salt. An empty salt is the
    /// same as none.
    /// </summary>
    /// <param name="publicKey">The 32-byte ed25519 public key (<c>k</c>).</param>
    /// <param name="salt">The salt, at most 64 bytes; empty for none.</param>
    /// <exception cref="ArgumentException">The key is not 32 bytes, or the salt is longer than 64.</exception>
    public static NodeId ForMutable(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> salt)
    {
        if (publicKey.Length != ItemSignature.PublicKeySize)
        {
            throw new ArgumentException($"An ed25519 public key is {ItemSignature.PublicKeySize} bytes; got {publicKey.Length}.", nameof(publicKey));
        }

        if (salt.Length > PutQuery.MaxSaltSize)
        {
            throw new ArgumentException($"A salt is at most {PutQuery.MaxSaltSize} bytes (BEP 44); got {salt.Length}.", nameof(salt));
        }

        Span<byte> input = stackalloc byte[ItemSignature.PublicKeySize + PutQuery.MaxSaltSize];
        publicKey.CopyTo(input);
        salt.CopyTo(input[ItemSignature.PublicKeySize..]);
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(input[..(publicKey.Length + salt.Length)], hash);
        return new NodeId(hash);
    }
}
