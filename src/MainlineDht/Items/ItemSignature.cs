using System.Globalization;

namespace MainlineDht.Items;

/// <summary>
/// What a BEP 44 mutable item's signature covers, and its check. The signed buffer is the item's
/// bencoded key/value pairs without the enclosing dictionary, in this order:
/// <c>4:salt&lt;len&gt;:&lt;salt&gt;</c> (only for a non-empty salt), <c>3:seqi&lt;seq&gt;e</c>,
/// <c>1:v&lt;bencoded value&gt;</c>; for sequence 1 and the string "Hello World!" that is
/// <c>3:seqi1e1:v12:Hello World!</c>. The value is copied verbatim: it is never re-encoded.
/// </summary>
public static class ItemSignature
{
    /// <summary>The size of an ed25519 public key (<c>k</c>).</summary>
    public const int PublicKeySize = 32;

    /// <summary>The size of an ed25519 signature (<c>sig</c>).</summary>
    public const int SignatureSize = 64;

    // "4:salt" + "64:" + salt + "3:seqi" + 20 digits and sign + "e" + "1:v" + a 1000-byte value.
    private const int StackBufferSize = 6 + 3 + 64 + 6 + 20 + 1 + 3 + 1000;

    /// <summary>The length of the signed buffer of an item with these parts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative.</exception>
    public static int GetSignedBufferLength(int saltLength, long sequence, int valueLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(saltLength);
        ArgumentOutOfRangeException.ThrowIfNegative(valueLength);
        int salt = saltLength == 0 ? 0 : "4:salt".Length + DigitCount(saltLength) + 1 + saltLength;
        return salt + "3:seqi".Length + IntegerLength(sequence) + "e1:v".Length + valueLength;
    }

    /// <summary>
    /// Writes the signed buffer of an item into <paramref name="destination"/> and returns its
    /// length (<see cref="GetSignedBufferLength"/>). Allocates nothing.
    /// </summary>
    /// <param name="salt">The salt; empty for none (an empty salt is not written).</param>
    /// <param name="sequence">The sequence number (<c>seq</c>).</param>
    /// <param name="bencodedValue">The value as bencode, exactly as it is sent in <c>v</c>.</param>
    /// <param name="destination">Where the buffer goes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteSignedBuffer(ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> bencodedValue, Span<byte> destination)
    {
        int length = GetSignedBufferLength(salt.Length, sequence, bencodedValue.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException($"The signed buffer takes {length} bytes; the destination has {destination.Length}.", nameof(destination));
        }

        int at = 0;
        if (!salt.IsEmpty)
        {
            at += Append("4:salt"u8, destination);
            at += AppendInteger(salt.Length, destination[at..]);
            destination[at++] = (byte)':';
            at += Append(salt, destination[at..]);
        }

        at += Append("3:seqi"u8, destination[at..]);
        at += AppendInteger(sequence, destination[at..]);
        at += Append("e1:v"u8, destination[at..]);
        at += Append(bencodedValue, destination[at..]);
        return at;
    }

    /// <summary>The signed buffer of an item, in a new array (see <see cref="WriteSignedBuffer"/>).</summary>
    public static byte[] CreateSignedBuffer(ReadOnlySpan<byte> salt, long sequence, ReadOnlySpan<byte> bencodedValue)
    {
        var buffer = new byte[GetSignedBufferLength(salt.Length, sequence, bencodedValue.Length)];
        WriteSignedBuffer(salt, sequence, bencodedValue, buffer);
        return buffer;
    }

    /// <summary>
    /// True when <paramref name="signature"/> signs this item for <paramref name="publicKey"/>
    /// according to <paramref name="verifier"/>. Untrusted input: wrong sizes give false. Allocates
    /// nothing for an item within BEP 44's limits (a salt of 64 bytes, a value of 1000).
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="verifier"/> is null.</exception>
    public static bool Verify(
        IItemSignatureVerifier verifier,
        ReadOnlySpan<byte> publicKey,
        ReadOnlySpan<byte> salt,
        long sequence,
        ReadOnlySpan<byte> bencodedValue,
        ReadOnlySpan<byte> signature)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        if (publicKey.Length != PublicKeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        int length = GetSignedBufferLength(salt.Length, sequence, bencodedValue.Length);
        Span<byte> buffer = length <= StackBufferSize ? stackalloc byte[StackBufferSize] : new byte[length];
        int written = WriteSignedBuffer(salt, sequence, bencodedValue, buffer);
        return verifier.Verify(publicKey, buffer[..written], signature);
    }

    private static int Append(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    private static int AppendInteger(long value, Span<byte> destination)
    {
        bool formatted = value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        System.Diagnostics.Debug.Assert(formatted, "the length was computed first");
        return written;
    }

    private static int IntegerLength(long value) => value switch
    {
        long.MinValue => 20,
        < 0 => 1 + DigitCount(-value),
        _ => DigitCount(value),
    };

    private static int DigitCount(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
