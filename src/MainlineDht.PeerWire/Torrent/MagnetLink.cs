using System.Diagnostics.CodeAnalysis;
using MainlineDht.Protocol;

namespace MainlineDht.PeerWire.Torrent;

/// <summary>
/// A magnet link (BEP 9): <c>magnet:?xt=urn:btih:&lt;infohash&gt;</c> with the infohash as 40 hex
/// digits or 32 base32 characters, an optional display name (<c>dn</c>) and trackers (<c>tr</c>,
/// kept but never contacted here: the DHT finds the peers).
/// </summary>
/// <param name="InfoHash">The v1 infohash.</param>
/// <param name="DisplayName">The <c>dn</c> parameter, or null.</param>
/// <param name="Trackers">The <c>tr</c> parameters, in order.</param>
public sealed record MagnetLink(NodeId InfoHash, string? DisplayName, IReadOnlyList<string> Trackers)
{
    /// <summary>Parses a magnet link, or 40 hex digits alone; false when neither holds a BitTorrent infohash.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out MagnetLink? magnet)
    {
        magnet = null;
        text = text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        if (NodeId.TryParse(text, out NodeId bare))
        {
            magnet = new MagnetLink(bare, null, []);
            return true;
        }

        if (!text.StartsWith("magnet:?", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        NodeId? infoHash = null;
        string? name = null;
        var trackers = new List<string>();
        foreach (string part in text[8..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            string key = part[..equals];
            string value = Uri.UnescapeDataString(part[(equals + 1)..].Replace('+', ' '));
            if (key.Equals("xt", StringComparison.OrdinalIgnoreCase) && infoHash is null
                && value.StartsWith("urn:btih:", StringComparison.OrdinalIgnoreCase) && TryParseHash(value[9..], out NodeId hash))
            {
                infoHash = hash;
            }
            else if (key.Equals("dn", StringComparison.OrdinalIgnoreCase))
            {
                name ??= value;
            }
            else if (key.Equals("tr", StringComparison.OrdinalIgnoreCase) && trackers.Count < 64)
            {
                trackers.Add(value);
            }
        }

        if (infoHash is not NodeId found)
        {
            return false;
        }

        magnet = new MagnetLink(found, name, trackers);
        return true;
    }

    /// <summary>Parses a magnet link (see <see cref="TryParse"/>); a <see cref="FormatException"/> when it holds no infohash.</summary>
    public static MagnetLink Parse(string text) =>
        TryParse(text, out MagnetLink? magnet) ? magnet : throw new FormatException("not a magnet link with a BitTorrent infohash (xt=urn:btih:…) nor 40 hex digits");

    /// <summary>The link as text: <c>magnet:?xt=urn:btih:&lt;hex&gt;</c>, then <c>dn</c> and <c>tr</c> when present.</summary>
    public override string ToString()
    {
        string link = $"magnet:?xt=urn:btih:{InfoHash}";
        if (DisplayName is not null)
        {
            link += "&dn=" + Uri.EscapeDataString(DisplayName);
        }

        foreach (string tracker in Trackers)
        {
            link += "&tr=" + Uri.EscapeDataString(tracker);
        }

        return link;
    }

    private static bool TryParseHash(string text, out NodeId id)
    {
        if (NodeId.TryParse(text, out id))
        {
            return true;
        }

        if (text.Length != 32)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[NodeId.Size];
        int bits = 0, value = 0, index = 0;
        foreach (char c in text)
        {
            char upper = char.ToUpperInvariant(c);
            int digit = upper is >= 'A' and <= 'Z' ? upper - 'A' : upper is >= '2' and <= '7' ? upper - '2' + 26 : -1;
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
}
