using System.Text;

namespace MainlineDht.PeerWire.Tests.Support;

/// <summary>Byte strings as the tests write them: bencode and wire messages as Latin-1 text (one character per byte), or hex.</summary>
internal static class Bytes
{
    public static byte[] Latin1(string text)
    {
        foreach (char c in text)
        {
            if (c > '\u00ff')
            {
                throw new ArgumentException($"Only Latin-1 characters stand for bytes: U+{(int)c:X4}.", nameof(text));
            }
        }

        return Encoding.Latin1.GetBytes(text);
    }

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.Latin1.GetString(bytes);

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    /// <summary>Deterministic pseudo-random content (the same seed gives the same bytes).</summary>
    public static byte[] Random(int length, int seed)
    {
        byte[] data = new byte[length];
        new System.Random(seed).NextBytes(data);
        return data;
    }
}
