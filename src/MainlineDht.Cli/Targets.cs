using System.Globalization;
using MainlineDht.Protocol;

namespace MainlineDht.Cli;

/// <summary>Parses what users type for infohashes and ids.</summary>
internal static class Targets
{
    /// <summary>40 hex digits, or a magnet link with <c>xt=urn:btih:</c> (hex or base32).</summary>
    public static NodeId ParseInfoHash(string text)
    {
        text = text.Trim();
        if (NodeId.TryParse(text, out NodeId id))
        {
            return id;
        }

        if (text.StartsWith("magnet:?", StringComparison.OrdinalIgnoreCase))
        {
            foreach (string part in text[8..].Split('&'))
            {
                const string prefix = "xt=urn:btih:";
                if (part.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    string hash = Uri.UnescapeDataString(part[prefix.Length..]);
                    if (NodeId.TryParse(hash, out id) || TryParseBase32(hash, out id))
                    {
                        return id;
                    }
                }
            }

            throw new CliException("the magnet link has no BitTorrent infohash (xt=urn:btih:...).");
        }

        throw new CliException($"'{text}' is not an infohash (40 hex digits) or a magnet link.");
    }

    /// <summary>40 hex digits.</summary>
    public static NodeId ParseNodeId(string text) =>
        NodeId.TryParse(text.Trim(), out NodeId id) ? id : throw new CliException($"'{text}' is not a node id (40 hex digits).");

    private static bool TryParseBase32(string text, out NodeId id)
    {
        id = default;
        if (text.Length != 32)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[NodeId.Size];
        int bits = 0, value = 0, index = 0;
        foreach (char c in text.ToUpperInvariant())
        {
            int digit = c is >= 'A' and <= 'Z' ? c - 'A' : c is >= '2' and <= '7' ? c - '2' + 26 : -1;
            if (digit < 0)
            {
                return false;
            }

            value = (value << 5) | digit;
            bits += 5;
            if (bits >= 8)
            {
                bytes[index++] = (byte)(value >> (bits - 8));
                bits -= 8;
            }
        }

        id = new NodeId(bytes);
        return true;
    }

    public static string Milliseconds(TimeSpan time) => time.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);
}
