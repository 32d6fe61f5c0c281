using System.Text;

namespace MainlineDht.Tests.Support;

/// <summary>
/// Byte strings as the tests write them (<c>using static MainlineDht.Tests.Support.Bytes;</c>):
/// bencode and KRPC as Latin-1 text, one character per byte, so that <c>"d1:ad2:id20:…e"</c> and a
/// raw 20-byte id read alike; captures from real clients as hex.
/// </summary>
internal static class Bytes
{
    /// <summary>The bytes of <paramref name="text"/>, one per character.</summary>
    /// <exception cref="ArgumentException">A character is above U+00FF (it stands for no byte).</exception>
    public static byte[] Latin1(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (char c in text)
        {
            if (c > '\u00ff')
            {
                throw new ArgumentException($"Only Latin-1 characters stand for bytes: U+{(int)c:X4} in \"{text}\".", nameof(text));
            }
        }

        return Encoding.Latin1.GetBytes(text);
    }

    /// <summary><paramref name="bytes"/> as text, one character per byte.</summary>
    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    /// <inheritdoc cref="Text(ReadOnlySpan{byte})"/>
    public static string Text(ReadOnlyMemory<byte> bytes) => Encoding.Latin1.GetString(bytes.Span);

    /// <summary>The bytes of a hex string (either case).</summary>
    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    /// <summary><paramref name="bytes"/> as lower-case hex.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);
}
